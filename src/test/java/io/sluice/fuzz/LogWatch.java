package io.sluice.fuzz;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Fails a fuzz run that logged a warning or an error with an exception: how an exception that escaped a
 * handler shows (Netty logs one that reaches the end of a pipeline, or leaves a task, as a warning) when it
 * is not thrown back to the caller, as on an HTTP/2 stream's own channel.
 */
final class LogWatch extends AppenderBase<ILoggingEvent> {
    private static final LogWatch INSTANCE = new LogWatch();
    private static boolean installed;
    private final List<String> seen = new ArrayList<>();

    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        INSTANCE.setName("fuzz-log-watch");
        INSTANCE.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        INSTANCE.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(INSTANCE);
    }

    @Override
    protected synchronized void append(ILoggingEvent event) {
        if (event.getLevel().isGreaterOrEqual(Level.WARN) && event.getThrowableProxy() != null) {
            seen.add(event.getLevel() + " " + event.getLoggerName() + ": " + event.getFormattedMessage() + "\n"
                    + ThrowableProxyUtil.asString(event.getThrowableProxy()));
        }
    }

    static void clear() {
        synchronized (INSTANCE) {
            INSTANCE.seen.clear();
        }
    }

    static void check() {
        synchronized (INSTANCE) {
            if (!INSTANCE.seen.isEmpty()) {
                String all = String.join("\n", INSTANCE.seen);
                INSTANCE.seen.clear();
                throw new AssertionError("logged during the run:\n" + all);
            }
        }
    }
}
