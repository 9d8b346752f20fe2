package com.example.greeting;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code greeting} filter: sets a header on the request and the response, counts the requests it has
 * seen (a count kept across reloads), and answers {@code /teapot} itself with 418.
 *
 * <pre>
 * filters:
 *   - greeting: { header: X-Greeting, greeting: hello }
 * </pre>
 */
public final class GreetingFilterFactory implements FilterFactory<GreetingFilterFactory.Settings> {

    /** The settings once read. */
    public record Settings(String header, String greeting) {
    }

    @Override
    public String type() {
        return "greeting";
    }

    @Override
    public List<String> keys() {
        return List.of("header", "greeting");
    }

    @Override
    public Settings configure(FilterSettings s) {
        String header = s.string("header", "X-Greeting");
        if (!header.matches("[A-Za-z0-9-]+")) {
            s.error("header", "bad header name '" + header + "' (expected letters, digits and '-')");
            return null;
        }
        String greeting = s.string("greeting", "hello");
        if (greeting.isBlank()) {
            s.error("greeting", "greeting must not be empty");
            return null;
        }
        return new Settings(header, greeting);
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        AtomicLong seen = setup.keep("seen", AtomicLong.class, AtomicLong::new);
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext c) {
                long n = seen.incrementAndGet();
                if ("/teapot".equals(c.request().path())) {
                    return Verdict.answer(Reply.of(418).header("Content-Type", "text/plain").body("I'm a teapot\n"));
                }
                c.request().headers().set(settings.header(), settings.greeting() + " #" + n);
                return Verdict.next();
            }

            @Override
            public void onResponse(FilterContext c) {
                c.response().headers().set(settings.header(), settings.greeting());
            }
        };
    }
}
