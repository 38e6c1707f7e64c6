// cards_list.mjs: GET /cards?limit=&cursor=. One page of the caller's
// cards, newest first, with `nextCursor` when DynamoDB reports more.

import { apiHandler } from './lib/api-handler.mjs';
import { parseListLimit } from './lib/api-validation.mjs';
import { listCards } from './lib/cards.mjs';
import { jsonResponse } from './lib/http.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';

export const handler = apiHandler('GET /cards', async (event) => {
  const auth = getAuthContext(event);
  const query = event?.queryStringParameters ?? {};
  const limit = parseListLimit(query.limit);
  const page = await listCards(auth.sub, { limit, cursor: query.cursor });
  return jsonResponse(event, 200, page);
});
