// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.gdb;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Jazzer target: a gdb client's byte stream through the packet reader (framing, checksums, the packet size
 * limit), then each packet through the argument decoders the dispatcher uses (hex, numbers, binary escapes,
 * little-endian values). Decoders may reject an argument with IllegalArgumentException or
 * IndexOutOfBoundsException, which the dispatcher answers with E01; anything else is a finding.
 */
class GdbPacketFuzzTarget {
    private static final int MAX_PAYLOAD = 4096;

    @FuzzTest(maxDuration = "1s")
    void fuzz(byte[] stream) {
        List<PacketReader.Event> events = new ArrayList<>();
        PacketReader reader = new PacketReader(MAX_PAYLOAD, events::add);
        reader.feed(stream, 0, stream.length);
        for (PacketReader.Event e : events) {
            if (!(e instanceof PacketReader.Packet p)) {
                continue;
            }
            assertTrue(p.payload().length <= MAX_PAYLOAD, "packet longer than the limit");
            String text = p.text();
            decode(() -> Rsp.unhex(text));
            decode(() -> Rsp.number(text));
            decode(() -> Rsp.unescape(p.payload(), Math.min(1, p.payload().length)));
            int comma = text.indexOf(',');
            if (comma > 0) {
                decode(() -> Rsp.number(text.substring(0, comma)));
                decode(() -> Rsp.le(Rsp.unhex(text.substring(comma + 1)), 0, 8));
            }
        }
    }

    private static void decode(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // rejected argument: the dispatcher answers E01
        }
    }
}
