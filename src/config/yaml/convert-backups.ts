/**
 * The YAML `backups:` section, read by its field tables (fields/backup.ts); resolved in
 * ../backups.ts.
 */
import { isScalar } from 'yaml';
import type { BackupJobDraft, BackupRepositoryDraft, BackupsDraft } from '../backups.js';
import { ConfigError } from '../config-error.js';
import type { Located } from '../draft.js';
import { BACKUP_JOB_FIELDS, BACKUPS_FIELDS } from '../fields/backup.js';
import { readFields, type CustomReader } from './fields.js';
import { readList, readMap, readNamedCollection, readString, type Field, type YamlReader } from './nodes.js';

const strings = (reader: YamlReader, value: Field) => readList(reader, value).map(readString);

/** requireMount names the mount point, as --require-mount does: `requireMount: true` is the likely slip. */
function readMountPoint(field: Field): Located<string> {
  if (isScalar(field.node) && typeof field.node.value === 'boolean') {
    throw new ConfigError(`requireMount is the directory the disk is mounted on (such as /media/backup), not ${field.node.value}`, field.source, field.path);
  }
  return readString(field);
}

function readRepository(reader: YamlReader, field: Field): BackupRepositoryDraft {
  const draft: BackupRepositoryDraft = { source: field.source, path: field.path };
  for (const [key, value] of readMap(reader, field, ['repo', 'passwordFile', 'sftpCommand', 'requireMount'], { password: 'passwordFile', repository: 'repo', 'password-file': 'passwordFile', 'sftp.command': 'sftpCommand', 'require-mount': 'requireMount' })) {
    if (key === 'repo') draft.repo = readString(value);
    else if (key === 'sftpCommand') draft.sftpCommand = readString(value);
    else if (key === 'requireMount') draft.requireMount = readMountPoint(value);
    else draft.passwordFile = readString(value);
  }
  return draft;
}

const JOB_READERS: Readonly<Record<string, CustomReader<BackupJobDraft>>> = {
  paths: (reader, value, draft) => (draft.paths = strings(reader, value)),
  excludes: (reader, value, draft) => (draft.excludes = strings(reader, value)),
  tags: (reader, value, draft) => (draft.tags = strings(reader, value)),
  repositories: (reader, value, draft) => (draft.repositories = readList(reader, value).map((item) => readRepository(reader, item))),
};

export function readBackups(reader: YamlReader, field: Field): BackupsDraft {
  const draft: BackupsDraft = { jobs: [], source: field.source };
  readFields(reader, field, BACKUPS_FIELDS, draft, {
    custom: {
      jobs: (r, value, d) => {
        d.jobs = readNamedCollection(r, value).map((entry) => {
          const job: BackupJobDraft = { name: entry.name, source: entry.source, path: entry.body.path };
          readFields(r, entry.body, BACKUP_JOB_FIELDS, job, { custom: JOB_READERS, extraKeys: entry.hasNameKey ? ['name'] : [] });
          return job;
        });
      },
    },
  });
  return draft;
}
