/**
 * The codings of the {@code compress} filter: gzip (the JDK's zlib), zstd (zstd-jni) and br (Brotli4j), each a
 * {@link io.sluice.filter.compress.CompressingStream} that compresses one response part by part, flushing each
 * part. zstd's and brotli's classes and native libraries load at the first response compressed with them.
 */
package io.sluice.filter.compress;
