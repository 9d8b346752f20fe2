package io.sluice.balance;

import io.sluice.config.EndpointConfig;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/** Endpoints named a, b, c, ..., readable pick sequences, a settable PickContext and a scripted generator. */
final class BalancerTesting {
    private BalancerTesting() {
    }

    /** Endpoints a, b, c, ... with the given weights, their address being their name. */
    static List<Endpoint> endpoints(int... weights) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            String name = String.valueOf((char) ('a' + i));
            list.add(new Endpoint(new EndpointConfig(name, name, 80, false, weights[i]), i));
        }
        return list;
    }

    /** Endpoints with real-looking addresses 10.0.0.1:8080, ... of weight 1. */
    static List<Endpoint> addressed(int count) {
        List<Endpoint> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String host = "10.0.0." + (i + 1);
            list.add(new Endpoint(new EndpointConfig(host + ":8080", host, 8080, false, 1), i));
        }
        return list;
    }

    /** {@code count} picks as "a b c ...", "-" for null. */
    static String sequence(Balancer balancer, int count, PickContext context) {
        StringJoiner j = new StringJoiner(" ");
        for (int i = 0; i < count; i++) {
            Endpoint e = balancer.pick(context);
            j.add(e == null ? "-" : e.address());
        }
        return j.toString();
    }

    static String sequence(Balancer balancer, int count) {
        return sequence(balancer, count, PickContext.EMPTY);
    }

    /**
     * True when {@code actual} is {@code period} repeated, entered at any point: rotations keep their
     * position across a rebuild, so after a change only the order, not the phase, is fixed.
     */
    static boolean isRotationOf(String actual, String period) {
        String[] p = period.split(" ");
        String[] a = actual.split(" ");
        for (int offset = 0; offset < p.length; offset++) {
            boolean match = true;
            for (int i = 0; i < a.length && match; i++) {
                match = a[i].equals(p[(offset + i) % p.length]);
            }
            if (match) {
                return true;
            }
        }
        return false;
    }

    /** Sets in-flight counts by calling requestStarted/requestFinished. */
    static void inFlight(Endpoint e, int count) {
        while (e.inFlight() < count) {
            e.requestStarted();
        }
        while (e.inFlight() > count) {
            e.requestFinished();
        }
    }

    /** A PickContext with settable values. */
    static final class Context implements PickContext {
        String sourceIp;
        String uri = "/";
        String path = "/";
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        final Map<String, String> cookies = new TreeMap<>();
        final Map<String, String> query = new TreeMap<>();
        final Set<Endpoint> tried = Collections.newSetFromMap(new IdentityHashMap<>());

        Context header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        Context markTried(Endpoint... endpoints) {
            tried.addAll(List.of(endpoints));
            return this;
        }

        @Override public String sourceIp() { return sourceIp; }
        @Override public String uri() { return uri; }
        @Override public String path() { return path; }
        @Override public String header(String name) { return headers.get(name); }
        @Override public String cookie(String name) { return cookies.get(name); }
        @Override public String queryParam(String name) { return query.get(name); }
        @Override public boolean tried(Endpoint endpoint) { return tried.contains(endpoint); }
    }

    /** Returns the given numbers, in order, from nextInt(bound) and nextLong(bound); checks each bound. */
    static final class ScriptedRandom implements RandomGenerator {
        private final Queue<Long> values = new ArrayDeque<>();

        ScriptedRandom(long... values) {
            for (long v : values) {
                this.values.add(v);
            }
        }

        @Override
        public int nextInt(int bound) {
            return (int) nextLong(bound);
        }

        @Override
        public long nextLong(long bound) {
            Long v = values.remove();
            if (v < 0 || v >= bound) {
                throw new AssertionError("scripted " + v + " is not below bound " + bound);
            }
            return v;
        }

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException("scripted: only bounded draws");
        }
    }
}
