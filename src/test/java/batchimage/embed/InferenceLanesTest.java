package batchimage.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The local models' threads: every lane busy for one call, never more lanes than set for many, a single item on its caller. */
class InferenceLanesTest {

    private final InferenceLanes lanes = new InferenceLanes(2);

    private static List<Integer> numbers(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void givesResultsInTheItemsOrder() {
        assertThat(lanes.map(numbers(500), i -> i * 3)).isEqualTo(numbers(500).stream().map(i -> i * 3).toList());
    }

    @Test
    void aSingleItemRunsOnTheCallersThreadAndMoreOnTheLanes() {
        Thread caller = Thread.currentThread();
        assertThat(lanes.map(List.of(1), i -> Thread.currentThread())).containsExactly(caller);
        assertThat(lanes.map(numbers(10), i -> Thread.currentThread().getName())).allMatch(n -> n.startsWith("local-embeddings-"));
    }

    @Test
    void oneCallUsesEveryLane() throws Exception {
        // the first two items can only pass the barrier if they run at the same time
        var barrier = new CyclicBarrier(2);
        List<Integer> out = lanes.map(numbers(6), i -> {
            if (i < 2) {
                try {
                    barrier.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("the second lane never came", e);
                }
            }
            return i;
        });
        assertThat(out).isEqualTo(numbers(6));
    }

    @Test
    void manyCallersTogetherNeverUseMoreLanesThanSet() {
        var running = new AtomicInteger();
        var most = new AtomicInteger();
        var callers = new ArrayList<CompletableFuture<List<Long>>>();
        for (int c = 0; c < 6; c++) {
            callers.add(CompletableFuture.supplyAsync(() -> lanes.map(numbers(40), i -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                long x = 0;
                for (int k = 0; k < 200_000; k++) {
                    x += k % (i + 7);
                }
                running.decrementAndGet();
                return x;
            })));
        }
        callers.forEach(f -> assertThat(f.join()).hasSize(40));
        assertThat(most.get()).isBetween(1, 2);
    }

    @Test
    void aFailureReachesTheCallerAndStopsTheRest() {
        var done = new AtomicInteger();
        assertThatThrownBy(() -> lanes.map(numbers(1000), i -> {
            if (i == 3) {
                throw new IllegalArgumentException("item 3 is bad");
            }
            done.incrementAndGet();
            return i;
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("item 3 is bad");
        assertThat(done.get()).isLessThan(999);
    }
}
