package io.sluice.admin;

import java.time.Instant;
import java.util.List;

/**
 * What one reload attempt did: when, what asked for it ({@code SIGHUP}, {@code admin API}), whether the new
 * configuration is in force, and the errors that refused it (as {@code FILE:LINE:COL: message}).
 */
public record ReloadOutcome(Instant at, String trigger, boolean success, List<String> errors) {
    public ReloadOutcome {
        errors = List.copyOf(errors);
    }
}
