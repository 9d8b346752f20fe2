package io.sluice.config;

/**
 * An upstream's {@code discovery.zookeeper}: each child of the node at {@code path} on the ZooKeeper ensemble
 * {@code connect} is one endpoint, named {@code host:port} or {@code host:port,weight}, or holding an Apache
 * Curator service instance (JSON with {@code address} and {@code port}) as its data.
 */
public record DiscoveryConfig(String connect, String path) {
}
