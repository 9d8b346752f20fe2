package io.sluice.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PerMessageFieldsTest {

    @Test
    void theRequestIdAndTraceparentAreKeptOutOfTheTableWhateverTheirCase() {
        assertThat(PerMessageFields.INSTANCE.isSensitive("x-request-id", "a9d016611b9dabae")).isTrue();
        assertThat(PerMessageFields.INSTANCE.isSensitive(RequestId.HEADER, "a9d016611b9dabae")).isTrue();
        assertThat(PerMessageFields.INSTANCE.isSensitive("traceparent", "00-0af7-b7ad-01")).isTrue();
        assertThat(PerMessageFields.INSTANCE.isSensitive("Traceparent", "00-0af7-b7ad-01")).isTrue();
    }

    @Test
    void everyOtherFieldIsLeftToTheEncoder() {
        for (String name : new String[] {"content-type", "server", "x-request-ix", "tracestate", "x-request-id2", ""}) {
            assertThat(PerMessageFields.INSTANCE.isSensitive(name, "v")).as(name).isFalse();
        }
    }
}
