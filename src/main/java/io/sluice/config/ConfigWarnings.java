package io.sluice.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code sluice check} warns about in a valid configuration: things that work but are probably not what
 * was meant. Always: a non-loopback admin address without {@code admin.token}. With {@code --warnings}
 * also: routes an earlier route always wins over (they can never match), listeners without routes, and
 * upstreams nothing uses.
 */
public final class ConfigWarnings {
    private ConfigWarnings() {
    }

    public static List<String> find(SluiceConfig config, boolean all) {
        List<String> found = new ArrayList<>();
        AdminConfig admin = config.admin();
        if (admin != null && !admin.loopback() && admin.token() == null) {
            found.add("admin.address " + admin.address() + " is not loopback and admin.token is not set: anyone who "
                    + "reaches it can read the configuration and metrics, and the admin API refuses every change "
                    + "(drain, weight, reload); set admin.token (or token_file) or bind it to 127.0.0.1");
        }
        if (!all) {
            return found;
        }
        Set<String> used = new LinkedHashSet<>();
        for (ListenerConfig l : config.listeners()) {
            if (l.upstream() != null) {
                used.add(l.upstream());
            }
            if (l.protocol() != Protocol.TCP && l.routes().isEmpty()) {
                found.add("listener '" + l.name() + "' has no routes: it answers every request 404");
            }
            List<RouteConfig> routes = l.routes();
            for (int i = 0; i < routes.size(); i++) {
                RouteConfig r = routes.get(i);
                if (r.upstream() != null) {
                    used.add(r.upstream());
                }
                r.traffic().split().forEach(side -> used.add(side.upstream()));
                if (r.traffic().mirror() != null) {
                    used.add(r.traffic().mirror().upstream());
                }
                for (int j = 0; j < i; j++) {
                    if (covers(routes.get(j).match(), r.match())) {
                        found.add("listener '" + l.name() + "': route '" + r.name() + "' can never match: route '"
                                + routes.get(j).name() + "' before it matches every request it would");
                        break;
                    }
                }
            }
        }
        for (String name : config.upstreams().keySet()) {
            if (!used.contains(name)) {
                found.add("upstream '" + name + "' is not used by any route or listener");
            }
        }
        return found;
    }

    /** Whether every request {@code b} matches is matched by {@code a} (so a route with {@code b} after {@code a} is dead). */
    static boolean covers(MatchConfig a, MatchConfig b) {
        if (a == null) {
            return true;
        }
        if (b == null) {
            b = MatchConfig.ANY;
        }
        if (!a.hosts().isEmpty()) {
            if (b.hosts().isEmpty()) {
                return false;
            }
            for (String host : b.hosts()) {
                if (a.hosts().stream().noneMatch(h -> hostCovers(h, host))) {
                    return false;
                }
            }
        }
        if (a.pathPrefix() != null && (b.pathPrefix() == null || !b.pathPrefix().startsWith(a.pathPrefix()))) {
            return false;
        }
        if (a.pathRegex() != null && (b.pathRegex() == null || !a.pathRegex().pattern().equals(b.pathRegex().pattern()))) {
            return false;
        }
        if (!a.methods().isEmpty() && (b.methods().isEmpty() || !a.methods().containsAll(b.methods()))) {
            return false;
        }
        for (Map.Entry<String, String> h : a.headers().entrySet()) {
            boolean same = b.headers().entrySet().stream().anyMatch(e -> e.getKey().equalsIgnoreCase(h.getKey())
                    && e.getValue().equals(h.getValue()));
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static boolean hostCovers(String pattern, String host) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String h = host.toLowerCase(Locale.ROOT);
        if (p.equals(h)) {
            return true;
        }
        if (p.startsWith("*.")) {
            String suffix = p.substring(1); // ".example.org"
            return h.endsWith(suffix) && h.length() > suffix.length() && !h.equals("*" + suffix);
        }
        return false;
    }
}
