// cards_get.mjs: GET /cards/{cardId}. The caller's card, or 404 (also for
// another user's card, because the lookup key contains the caller's sub).

import { apiHandler } from './lib/api-handler.mjs';
import { getCard } from './lib/cards.mjs';
import { jsonResponse } from './lib/http.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { BadRequestError } from './lib/problem.mjs';

export const handler = apiHandler('GET /cards/{cardId}', async (event) => {
  const auth = getAuthContext(event);
  const cardId = event?.pathParameters?.cardId;
  if (!cardId) throw new BadRequestError('Path parameter "cardId" is required');
  return jsonResponse(event, 200, await getCard(auth.sub, cardId));
});
