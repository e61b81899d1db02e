// The KooPhone API's documented limits (../shared/koophone-api.md), declared once: the client,
// the simulator, the id readers and the store's fixed-size spool records all take them from here.
// No imports: workflow code and the CLI's cheap paths may use them without pulling zod in.

export const MAX_BATCH_RESET_IDS = 100;
export const MAX_STATUS_QUERY_IDS = 32;
export const MAX_INSTANCE_ID_LENGTH = 32;
export const MAX_PAGE_SIZE = 1000;
