package io.sluice.metrics;

/** What the metrics read of the process's buffer budget ({@code server.buffer_budget}) at scrape time. */
public interface MeteredBudget {

    /** The budget in bytes. */
    long limit();

    /** Times a response's upstream reads began to wait for its client because the budget was exhausted. */
    long waits();
}
