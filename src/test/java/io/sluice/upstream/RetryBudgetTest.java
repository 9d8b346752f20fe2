package io.sluice.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.RetryConfig;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetryBudgetTest {
    private final AtomicLong now = new AtomicLong(500L * 1_000_000_000L);

    @Test
    void retriesStayUnderTheShareOfRequestsPlusThePerSecondMinimum() {
        RetryBudget budget = new RetryBudget(new RetryConfig(1, Set.of("502"), 1024, 0.2, 5), now::get);
        int retried = 0;
        for (int i = 0; i < 100; i++) {
            budget.request();
            if (budget.tryRetry()) {
                retried++;
            }
        }
        assertThat(retried).isBetween(20, 25); // 20% of 100, the first 5 from the minimum
    }

    @Test
    void theWindowForgetsOldTrafficAndTheMinimumLetsQuietUpstreamsRetry() {
        RetryBudget budget = new RetryBudget(new RetryConfig(1, Set.of("502"), 1024, 0.2, 2), now::get);
        assertThat(budget.tryRetry()).isTrue(); // no requests, the minimum
        assertThat(budget.tryRetry()).isTrue();
        assertThat(budget.tryRetry()).isFalse();
        now.addAndGet(1_000_000_000L);
        assertThat(budget.tryRetry()).isTrue(); // a new second
        for (int i = 0; i < 50; i++) {
            budget.request();
        }
        now.addAndGet(11_000_000_000L); // all of it out of the window
        assertThat(budget.tryRetry()).isTrue();
        assertThat(budget.tryRetry()).isTrue();
        assertThat(budget.tryRetry()).isFalse();
    }
}
