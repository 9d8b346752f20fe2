/**
 * The public filter API: what a filter (built in or from a plugin jar) implements and sees. No Netty
 * types: a filter reads and changes request and response heads through {@link io.sluice.filter.api.Headers},
 * answers with a {@link io.sluice.filter.api.Reply}, waits on a {@link java.util.concurrent.CompletionStage}
 * through {@link io.sluice.filter.api.Verdict#later}, and sees body parts as {@link java.nio.ByteBuffer}s.
 *
 * <p>Threading: every method of a {@link io.sluice.filter.api.Filter} is called on the event loop of the
 * request's connection and must not block it. Work that blocks goes elsewhere and comes back as a
 * {@code Verdict.later(stage)}; Sluice resumes the chain on the event loop when the stage completes.
 *
 * <p>See docs/filters.md for the chain, the built-in filters and a complete plugin.
 */
package io.sluice.filter.api;
