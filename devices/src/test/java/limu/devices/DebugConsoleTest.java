// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebugConsoleTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    @Test
    void writesGoToTheOutputUntouched() {
        DebugConsole console = new DebugConsole(out);
        byte[] bytes = {'h', 'i', 0x1B, '[', 'm', 0x00, (byte) 0xFF, '\n'};
        for (byte b : bytes) {
            console.portWrite(0xE9, 1, b & 0xFF);
        }
        console.portWrite(0xE9, 2, 0x4142); // only the low byte
        assertEquals(0, out.size(), "buffered until flushed");
        console.flush();
        byte[] expected = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, expected, 0, bytes.length);
        expected[bytes.length] = 0x42;
        assertArrayEquals(expected, out.toByteArray());
    }

    @Test
    void flushEachLine() {
        DebugConsole console = new DebugConsole(out, true);
        console.portWrite(0xE9, 1, 'a');
        assertEquals(0, out.size());
        console.portWrite(0xE9, 1, '\n');
        assertEquals("a\n", out.toString());
    }

    @Test
    void readsBackE9SoGuestsCanDetectIt() {
        DebugConsole console = new DebugConsole(out);
        assertEquals(0xE9, console.portRead(0xE9, 1));
        assertEquals(List.of(new PortRange(0xE9, 1)), console.ports());
        assertEquals("debugcon", console.name());

        DebugConsole elsewhere = new DebugConsole(0x402, 0x42, out, false);
        assertEquals(0x42, elsewhere.portRead(0x402, 1));
        assertEquals(List.of(new PortRange(0x402, 1)), elsewhere.ports());
    }
}
