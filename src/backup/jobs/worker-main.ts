/**
 * The backup worker process's entry point (worker-client.ts spawns this file). A file rather
 * than `node --input-type=module -e`: worker threads inherit the process's execArgv, and Node
 * refuses `--input-type` in a worker thread, which broke the sealing threads (seal-pool.ts).
 */
import { workerMain } from './worker.js';

workerMain();
