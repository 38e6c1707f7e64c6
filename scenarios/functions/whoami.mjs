// Stand-in for an HTTP API handler: returns the JWT claims and the path
// parameters API Gateway passed in the payload 2.0 event.
export const handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    claims: event.requestContext?.authorizer?.jwt?.claims ?? null,
    cardId: event.pathParameters?.cardId ?? null,
    routeKey: event.routeKey,
  }),
});
