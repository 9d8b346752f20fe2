package io.sluice.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * One log line: {@code 2026-11-21T16:05:38.954Z INFO  Sluice - sluice started ...}, then the stack trace
 * of a logged exception. The same text as the pattern
 * {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} - %msg%n}, without logback's pattern
 * parser and converters (some 130 classes that would stay loaded for the life of the process).
 * With {@code json} (SLUICE_LOG_FORMAT=json): one object a line,
 * {@code {"time":"...","level":"INFO","logger":"Sluice","message":"...","exception":"..."}}, for log shippers.
 */
final class LogLine extends LayoutBase<ILoggingEvent> {
    private final boolean json;

    LogLine() {
        this(false);
    }

    LogLine(boolean json) {
        this.json = json;
    }
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
        if (json) {
            return jsonLine(event);
        }
        StringBuilder line = new StringBuilder(160);
        TIME.formatTo(event.getInstant(), line);
        String level = event.getLevel().toString();
        line.append(' ').append(level);
        for (int i = level.length(); i < 5; i++) {
            line.append(' ');
        }
        String logger = event.getLoggerName();
        line.append(' ').append(logger, logger.lastIndexOf('.') + 1, logger.length())
                .append(" - ").append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown));
        }
        return line.toString();
    }

    private static String jsonLine(ILoggingEvent event) {
        JsonStringEncoder enc = JsonStringEncoder.getInstance();
        StringBuilder line = new StringBuilder(200).append("{\"time\":\"");
        TIME.formatTo(event.getInstant(), line);
        String logger = event.getLoggerName();
        line.append("\",\"level\":\"").append(event.getLevel()).append("\",\"logger\":\"");
        enc.quoteAsString(logger.substring(logger.lastIndexOf('.') + 1), line);
        line.append("\",\"message\":\"");
        enc.quoteAsString(String.valueOf(event.getFormattedMessage()), line);
        line.append('"');
        IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(",\"exception\":\"");
            enc.quoteAsString(ThrowableProxyUtil.asString(thrown), line);
            line.append('"');
        }
        return line.append('}').append(CoreConstants.LINE_SEPARATOR).toString();
    }
}
