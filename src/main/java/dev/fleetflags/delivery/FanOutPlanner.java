package dev.fleetflags.delivery;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * Plans accepted changes one at a time, in the order they were accepted (so in revision order), on
 * a thread of its own: planning walks every connected device and may take long, and the admin
 * thread that accepted the change goes on answering other operators meanwhile. Each change's
 * future completes with the number of devices its plan found affected, or with what the plan
 * threw; nothing a plan throws stops the planner.
 */
final class FanOutPlanner implements AutoCloseable {

  private final ToIntFunction<FlagChange> plan;
  /** A thread that dies is replaced by the executor; a plan's failure never gets that far. */
  private final ExecutorService thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
      new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "fleetflags-delivery-planner");
        t.setDaemon(true);
        return t;
      });
  private final AtomicInteger waiting = new AtomicInteger();

  /** @param plan plans one change and returns the devices it affects */
  FanOutPlanner(ToIntFunction<FlagChange> plan) {
    this.plan = plan;
  }

  /** Queues a change behind those accepted before it; the future completes when it is planned. */
  CompletableFuture<Integer> submit(FlagChange change) {
    return submit(() -> plan.applyAsInt(change));
  }

  /**
   * Queues other planning work (a time boundary's) behind what was accepted before it, in the same
   * order; the future completes with what it returns.
   */
  CompletableFuture<Integer> submit(IntSupplier work) {
    CompletableFuture<Integer> planned = new CompletableFuture<>();
    waiting.incrementAndGet();
    try {
      thread.execute(() -> {
        try {
          planned.complete(work.getAsInt());
        } catch (Throwable e) {
          planned.completeExceptionally(e);
        } finally {
          waiting.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException e) {
      waiting.decrementAndGet();
      planned.completeExceptionally(new IllegalStateException("delivery is stopping", e));
    }
    return planned;
  }

  /** Changes accepted and not yet planned (the one being planned included). */
  int waiting() {
    return waiting.get();
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
