package com.example.greeting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.filter.testkit.FilterTester;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The filter alone, through Sluice's test kit: no sockets. */
class GreetingFilterTest {

    @Test
    void greetsTheRequestAndTheResponse() throws Exception {
        try (FilterTester t = FilterTester.of(new GreetingFilterFactory(), "{ greeting: hi }")) {
            FilterTester.Outcome out = t.request("GET", "/x").send();
            assertTrue(out.passed());
            assertEquals(List.of("hi #1"), out.requestHeaders().get("X-Greeting"));
            assertEquals(List.of("hi"), out.respond(200).get("X-Greeting"));
        }
    }

    @Test
    void answersTheTeapot() throws Exception {
        try (FilterTester t = FilterTester.of(new GreetingFilterFactory(), "{}")) {
            FilterTester.Outcome out = t.request("GET", "/teapot").send();
            assertFalse(out.passed());
            assertEquals(418, out.reply().status());
        }
    }

    @Test
    void badSettingsAreReportedWithTheirPlace() {
        assertEquals(List.of("1:13: greeting must not be empty"),
                FilterTester.errors(new GreetingFilterFactory(), "{ greeting: ' ' }"));
    }
}
