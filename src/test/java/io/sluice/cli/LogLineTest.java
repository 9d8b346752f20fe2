package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The log line keeps the format of the pattern it replaced. */
class LogLineTest {
    private final LoggerContext context = new LoggerContext();
    private final LogLine layout = new LogLine();

    private String line(Level level, String message, Throwable thrown, Object... args) {
        LoggingEvent event = new LoggingEvent(LogLineTest.class.getName(), context.getLogger("io.sluice.runtime.Sluice"),
                level, message, thrown, args);
        return layout.doLayout(event);
    }

    @Test
    void timeLevelPaddedToFiveLoggerSimpleNameMessage() {
        String line = line(Level.INFO, "sluice started ({} transport)", null, "epoll");
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) "
                + "INFO  Sluice - sluice started \\(epoll transport\\)\\R");
        assertThat(line(Level.WARN, "w", null)).contains(" WARN  Sluice - w");
        assertThat(line(Level.ERROR, "e", null)).contains(" ERROR Sluice - e");
    }

    @Test
    void aLoggedExceptionFollowsWithItsCause() {
        String line = line(Level.WARN, "failed", new IllegalStateException("outer", new IOException("inner")));
        assertThat(line).contains("WARN  Sluice - failed" + System.lineSeparator()
                + "java.lang.IllegalStateException: outer" + System.lineSeparator() + "\tat ");
        assertThat(line).contains("Caused by: java.io.IOException: inner");
    }

    @Test
    void jsonLinesParseAndCarryTheException() throws Exception {
        LogLine json = new LogLine(true);
        LoggingEvent event = new LoggingEvent(LogLineTest.class.getName(), context.getLogger("io.sluice.runtime.Sluice"),
                Level.WARN, "reload \"x\"\nrefused: {}", new IllegalStateException("bad"), new Object[] {"caf\u00e9"});
        String line = json.doLayout(event);
        assertThat(line).endsWith("}" + System.lineSeparator()).doesNotContain("\n{");
        com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
        assertThat(n.get("level").asText()).isEqualTo("WARN");
        assertThat(n.get("logger").asText()).isEqualTo("Sluice");
        assertThat(n.get("message").asText()).isEqualTo("reload \"x\"\nrefused: caf\u00e9");
        assertThat(n.get("exception").asText()).startsWith("java.lang.IllegalStateException: bad");
        assertThat(n.get("time").asText()).matches("\\d{4}-.*");
    }
}
