/** How the host carries an author's stack across RPC: appended to the message after this marker. */
export const STACK_MARKER = "\n--- repoflow stack ---\n";
