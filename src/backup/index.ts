/**
 * The backup subsystem's public surface: restic-format repositories (format version 2), their
 * backends, and the verbs the CLI and (later) the daemon's scheduler use.
 */
export { Repository, WrongPasswordError, NoRepositoryError } from './repo/repository.js';
export type { Backend, FileType, Handle, FileInfo } from './repo/backend.js';
export { NotFoundError, AlreadyExistsError } from './repo/backend.js';
export { LocalBackend } from './backend/local.js';
export { MemoryBackend } from './backend/memory.js';
export { SftpBackend, type SftpLocation, type SftpBackendOptions } from './backend/sftp.js';
export { S3Backend, S3Error, type S3Location, type S3BackendOptions } from './backend/s3.js';
export { backendFromLocation, parseLocation, type ParsedLocation, type LocationOptions } from './backend/from-location.js';
export { backup, type BackupOptions, type BackupResult, type BackupStats } from './archiver.js';
export { restore, type RestoreOptions, type RestoreStats } from './restorer.js';
export { loadSnapshots, findSnapshot, type SnapshotEntry } from './snapshots.js';
export { acquireLock, LockedError, withLock } from './lock.js';
export type { Snapshot } from './repo/snapshot.js';
export type { TreeNode } from './repo/tree.js';
export { walkTree, type WalkEntry } from './walk.js';
