/*
 * lam_pending.c: how many invocations of an instance have not finished,
 * for callers that wait until nothing is in flight (the scenario runner's
 * settle step).
 */
#include "lam_internal.h"

int lam_pending_count(stratus *srv)
{
    lam_state *st = lam__state(srv);
    int count = 0;

    if (!st)
        return 0;
    for (lam_function_runtime *fn = st->functions; fn; fn = fn->next) {
        for (lam_invocation *inv = fn->queue_head; inv; inv = inv->next)
            count++;
        for (lam_invocation *inv = fn->faulted; inv; inv = inv->next)
            count++;
        for (lam_env *env = fn->envs; env; env = env->next)
            count += env->inv != NULL;
    }
    return count;
}
