package io.sluice.cli;

import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The process's signal handlers, installed before any listener binds (so no signal that arrives once a
 * listener accepts is fatal): HUP reloads, USR1 reopens the logs, TERM and INT stop; every other signal
 * whose default would end the process (ALRM, USR2, VTALRM, PROF, IO, PWR, ...) is logged and ignored.
 * A signal the process was started with ignored (HUP under {@code nohup}) stays ignored by the JVM and
 * is reported at start, so a reload that does nothing is not a surprise. The handlers run on the JVM's
 * signal thread: they only hand work on.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    /** Signals whose default action ends the process, which Sluice does not use: logged and ignored. */
    static final List<String> IGNORED = List.of("USR2", "ALRM", "VTALRM", "PROF", "IO", "PWR", "STKFLT",
            "XCPU", "XFSZ", "TRAP", "SYS");

    private Signals() {
    }

    /** Installs the handlers; {@code action} gets the signal's name (HUP, USR1, TERM, INT). */
    static void install(Consumer<String> action) {
        for (String name : List.of("TERM", "INT", "HUP", "USR1")) {
            SignalHandler before = handle(name, s -> action.accept(s.getName()));
            if (before == SignalHandler.SIG_IGN) {
                log.warn("SIG{} is ignored by this process (it was started with SIG{} ignored, as nohup does for HUP and a shell's & for INT): "
                        + "{}", name, name, consequence(name));
            }
        }
        for (String name : IGNORED) {
            handle(name, s -> log.warn("signal SIG{} received and ignored (Sluice acts on HUP, USR1, TERM and INT)",
                    s.getName()));
        }
    }

    private static String consequence(String name) {
        return switch (name) {
            case "HUP" -> "kill -HUP does not reload; use `sluice reload` (the admin API) instead";
            case "USR1" -> "kill -USR1 does not reopen the logs";
            default -> "kill -" + name + " does not stop Sluice; use SIGTERM";
        };
    }

    /** Null when the JVM or the platform keeps this signal for itself. */
    private static SignalHandler handle(String name, SignalHandler handler) {
        try {
            return Signal.handle(new Signal(name), handler);
        } catch (IllegalArgumentException e) { // unknown on this platform, or used by the JVM (QUIT, ...)
            log.debug("signal SIG{}: left to the JVM ({})", name, e.getMessage());
            return null;
        }
    }
}
