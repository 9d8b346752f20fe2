package io.sluice.route;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.upstream.Upstream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code split:} shares a route's requests among upstreams by weight.
 *
 * <p>Without a key, the sides take turns by smooth weighted round robin (nginx's order, as the
 * {@code weighted_round_robin} balancer): weights 1 and 3 give b a b b, exactly 1 and 3 of every 4
 * requests, spread rather than in a burst. The period (sum of the weights over their gcd, at most
 * 100 sides × 1000) is computed once, so a turn is one {@code getAndIncrement} shared by every worker.
 *
 * <p>With {@code split_on}, the key's value is hashed (a stable 64-bit hash: the same value goes to the
 * same side in every process and after a restart) onto the weights laid end to end, so a value always
 * lands on the same side and the share of values follows the weights. A request without the key takes
 * the round-robin turn. Changing the weights moves only the values whose hash falls in the part of the
 * line that changed hands.
 */
final class Split {
    private final Upstream[] sides;
    /** Upper bound (exclusive) of each side's part of [0, total). */
    private final long[] ends;
    private final long total;
    private final int[] schedule;
    private final AtomicLong turn = new AtomicLong();
    private final SplitKey key;

    /** {@code weights[i]} for {@code sides[i]}, 0 to 1000, not all 0; {@code key} null for round robin only. */
    Split(Upstream[] sides, int[] weights, SplitKey key) {
        this.sides = sides.clone();
        this.key = key;
        this.ends = new long[weights.length];
        long sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            ends[i] = sum;
        }
        this.total = sum;
        this.schedule = schedule(weights);
    }

    /** One period of smooth weighted round robin, reduced by the weights' gcd. */
    static int[] schedule(int[] weights) {
        int g = 0;
        for (int w : weights) {
            g = gcd(g, w);
        }
        int[] reduced = new int[weights.length];
        int period = 0;
        for (int i = 0; i < weights.length; i++) {
            reduced[i] = weights[i] / g;
            period += reduced[i];
        }
        int[] order = new int[period];
        long[] current = new long[weights.length];
        for (int k = 0; k < period; k++) {
            int best = -1;
            for (int i = 0; i < reduced.length; i++) {
                if (reduced[i] == 0) {
                    continue;
                }
                current[i] += reduced[i];
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= period;
            order[k] = best;
        }
        return order;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    Upstream pick(HttpRequest request, String clientIp) {
        if (key != null) {
            String value = key.of(request, clientIp);
            if (value != null) {
                return sides[sideOf(hash(value))];
            }
        }
        return sides[schedule[(int) Math.floorMod(turn.getAndIncrement(), (long) schedule.length)]];
    }

    /** The side whose part of [0, total) holds {@code h} taken modulo total. */
    int sideOf(long h) {
        long point = Long.remainderUnsigned(h, total);
        for (int i = 0; i < ends.length; i++) {
            if (point < ends[i]) {
                return i;
            }
        }
        return ends.length - 1;
    }

    /** FNV-1a over the UTF-16 units, then murmur3's finalizer: stable across runs, every bit mixed. */
    static long hash(CharSequence s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = s.length(); i < n; i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
