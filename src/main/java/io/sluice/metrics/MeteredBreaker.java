package io.sluice.metrics;

import java.util.List;

/** What the metrics read of an upstream's circuit breaker at scrape time (implemented by the breaker). */
public interface MeteredBreaker {

    /** Every state's label, as {@code /metrics} shows them: {@code closed}, {@code open}, {@code half_open}. */
    List<String> stateLabels();

    /** The label of the state the breaker is in now. */
    String stateLabel();

    /** Times the breaker opened. */
    long opened();

    /** Requests refused while open or half-open. */
    long refused();
}
