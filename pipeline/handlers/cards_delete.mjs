// cards_delete.mjs: DELETE /cards/{cardId}. Deletes the caller's card and
// its images (HARD_DELETE_CARDS=true) or marks it deleted; 204 on
// success, 404 for a missing card.

import { apiHandler } from './lib/api-handler.mjs';
import { deleteCard } from './lib/cards.mjs';
import { noContentResponse } from './lib/http.mjs';
import { getAuthContext } from './lib/jwt-claims.mjs';
import { logger } from './lib/log.mjs';
import { BadRequestError } from './lib/problem.mjs';

export const handler = apiHandler('DELETE /cards/{cardId}', async (event) => {
  const auth = getAuthContext(event);
  const cardId = event?.pathParameters?.cardId;
  if (!cardId) throw new BadRequestError('Path parameter "cardId" is required');
  await deleteCard(auth.sub, cardId);
  logger.info('Card deleted', {
    cardId, userId: auth.sub, hardDelete: process.env.HARD_DELETE_CARDS === 'true',
  });
  return noContentResponse(event);
});
