package dev.fleetflags.admin;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Carries out the admin requests about rollouts and scheduled changes ({@link AdminAction#isPlan}),
 * on the admin thread, as {@link FlagAdmin} carries out the others: the rollout package's.
 */
@FunctionalInterface
public interface PlanRequests {

  /** Nobody carries them out: answered with an error. */
  PlanRequests NONE = (request, root) -> CompletableFuture.completedFuture(
      AdminResponse.error("rollouts and scheduled changes are not available on this broker"));

  /**
   * Carries out {@code request}, whose payload is the JSON object {@code root}; never completes
   * exceptionally (what is thrown, {@link FlagAdmin} answers).
   */
  CompletableFuture<AdminResponse> handle(AdminRequest request, Map<String, Object> root);
}
