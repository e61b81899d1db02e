/** Where an archived campaign's data goes: its id, and when it was moved aside (sortable). */
export function archiveName(campaignId: string, now = new Date()): string {
  return `${campaignId}.archived-${now.toISOString().replace(/[:.]/g, '')}`;
}
