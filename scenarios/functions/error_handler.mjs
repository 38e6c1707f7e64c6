// Stand-in for the pipeline's ErrorHandler task: returns what it was given,
// as the real one does after logging, so the execution ends SUCCEEDED.
export const handler = async (event) => ({
  handled: true,
  cardId: event.cardId,
  error: event.error ?? null,
});
