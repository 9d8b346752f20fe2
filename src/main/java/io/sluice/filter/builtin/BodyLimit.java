package io.sluice.filter.builtin;

import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Verdict;
import java.util.List;

/**
 * {@code body_limit}: a request whose {@code Content-Length} is larger than {@code max} is answered 413
 * before anything is forwarded; a chunked body that grows past {@code max} is cut: 413 if no response has
 * started, and the upstream request is aborted.
 */
public final class BodyLimit implements FilterFactory<Long> {
    private static final FilterContext.Key<long[]> RECEIVED = FilterContext.Key.of("body_limit.received");

    @Override
    public String type() {
        return "body_limit";
    }

    @Override
    public List<String> keys() {
        return List.of("max");
    }

    @Override
    public Long configure(FilterSettings s) {
        if (!s.require("max")) {
            return null;
        }
        long max = s.size("max", -1);
        return max < 0 ? null : max;
    }

    @Override
    public Filter create(Long max, FilterSetup setup) {
        long limit = max;
        String text = "the request body is larger than " + io.sluice.config.Sizes.format(limit);
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                long length = context.request().contentLength();
                if (length > limit) {
                    return Verdict.answer(413, text);
                }
                return Verdict.next();
            }

            @Override
            public Verdict onRequestBody(FilterContext context, BodyPart part) {
                if (context.request().contentLength() >= 0) {
                    return Verdict.next(); // a declared length was checked; the decoder holds the body to it
                }
                long[] received = context.get(RECEIVED);
                if (received == null) {
                    received = new long[1];
                    context.set(RECEIVED, received);
                }
                received[0] += part.length();
                return received[0] > limit ? Verdict.answer(413, text) : Verdict.next();
            }

            @Override
            public boolean wantsRequestBody() {
                return true;
            }
        };
    }
}
