package io.sluice.upstream.health;

/**
 * HAProxy's rise and fall: {@code fall} consecutive failed checks take a healthy endpoint out,
 * {@code rise} consecutive passes bring it back; anything in between keeps the current verdict. Starts
 * with the verdict given (healthy for a new endpoint: the contract). Confined to one thread (the checker's event loop).
 */
final class HealthCounter {
    private int rise;
    private int fall;
    private boolean healthy;
    private int streak;

    HealthCounter(int rise, int fall, boolean healthy) {
        thresholds(rise, fall);
        this.healthy = healthy;
    }

    void thresholds(int rise, int fall) {
        if (rise < 1 || fall < 1) {
            throw new IllegalArgumentException("rise " + rise + ", fall " + fall + " (expected: >= 1)");
        }
        this.rise = rise;
        this.fall = fall;
    }

    boolean healthy() {
        return healthy;
    }

    /** Records a check; returns true when the verdict flipped. */
    boolean record(boolean passed) {
        if (passed == healthy) {
            streak = 0; // a result agreeing with the verdict breaks the opposite streak
            return false;
        }
        if (++streak >= (healthy ? fall : rise)) {
            healthy = passed;
            streak = 0;
            return true;
        }
        return false;
    }
}
