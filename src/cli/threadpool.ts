// Imported first by the CLI's entry, before anything touches libuv's thread pool: its size is
// fixed at first use. A worker's lanes do several file operations per batch-reset call (spool
// slice, journal reads and writes, report parts), and the default 4 threads queue them: at rate
// 100 a call's journal mark then waited a median 15 ms, often past half its lane's interval,
// where the call is late (README, "Sizing workers"). An operator's own UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ??= '16';
