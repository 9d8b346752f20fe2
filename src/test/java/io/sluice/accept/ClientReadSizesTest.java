package io.sluice.accept;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class ClientReadSizesTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @Test
    void aClientReadGrowsWhileReadsComeBackFullButNeverPastOneLoopbackSegment() {
        RecvByteBufAllocator.Handle reads = ClientReadSizes.SHARED.newHandle();
        assertThat(largestAfterFullReads(reads)).isEqualTo(ClientReadSizes.LOOPBACK_SEGMENT).isEqualTo(65_464);
        ByteBuf buffer = reads.allocate(UnpooledByteBufAllocator.DEFAULT);
        try {
            // what one receive may take: one segment over ::1 or 127.0.0.1
            assertThat(buffer.writableBytes()).isEqualTo(65_464);
        } finally {
            buffer.release();
        }
    }

    /** The largest guess over a run of reads that each fill what was offered, as a bulk transfer does. */
    private int largestAfterFullReads(RecvByteBufAllocator.Handle reads) {
        int largest = 0;
        for (int read = 0; read < 40; read++) {
            reads.reset(channel.config());
            int offered = reads.guess();
            largest = Math.max(largest, offered);
            reads.attemptedBytesRead(offered);
            reads.lastBytesRead(offered);
            reads.incMessagesRead(1);
            reads.readComplete();
        }
        return largest;
    }
}
