// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import limu.devices.InterruptLine;
import limu.devices.Serial16550;
import org.junit.jupiter.api.Test;

class SerialInputTest {
    private static final int COM1 = Serial16550.COM1;
    private final Serial16550 uart = new Serial16550(COM1, new ByteArrayOutputStream(), InterruptLine.DISCONNECTED);
    private final SerialInput input = new SerialInput();

    /** A source handing out its bytes a few at a time as scripted: a number a call (0 none yet, -1 the end). */
    private static final class Scripted implements SerialSource {
        final ArrayDeque<Integer> plan;
        final List<Integer> asked = new ArrayList<>();
        byte next = 'a';

        Scripted(Integer... plan) {
            this.plan = new ArrayDeque<>(List.of(plan));
        }

        @Override
        public int take(byte[] into, int offset, int max) {
            asked.add(max);
            int n = plan.isEmpty() ? 0 : plan.removeFirst();
            if (n < 0) {
                return END;
            }
            n = Math.min(n, max);
            for (int i = 0; i < n; i++) {
                into[offset + i] = next++;
            }
            return n;
        }
    }

    private String received() {
        StringBuilder s = new StringBuilder();
        while ((uart.portRead(COM1 + Serial16550.LSR, 1) & 1) != 0) {
            s.append((char) uart.portRead(COM1 + Serial16550.RBR_THR, 1));
        }
        return s.toString();
    }

    private void fifoOnRtsOn() {
        uart.portWrite(COM1 + Serial16550.IIR_FCR, 1, 0x01);
        uart.portWrite(COM1 + Serial16550.MCR, 1, 0x0B);
    }

    @Test
    void nothingMovesWhileRtsIsOffAndTheSourceIsNotAskedThen() {
        Scripted s = new Scripted(5);
        input.attach(s);
        assertFalse(input.feed(uart));
        assertEquals(List.of(), s.asked);
    }

    @Test
    void queuedBytesGoFirstThenTheSourceFillsWhatRoomIsLeft() {
        fifoOnRtsOn();
        Scripted s = new Scripted(100);
        input.queue("0123456789".getBytes());
        input.attach(s);
        assertTrue(input.feed(uart));
        assertEquals(List.of(6), s.asked, "16 bytes of room, 10 taken by the queue");
        assertEquals("0123456789abcdef", received());
        assertFalse(input.queuedPending());
    }

    @Test
    void theSourceIsAskedForNoMoreThanTheFifoTakesSoNothingOverruns() {
        fifoOnRtsOn();
        Scripted s = new Scripted(100, 100);
        input.attach(s);
        input.feed(uart);
        assertFalse(input.feed(uart), "a full FIFO: nothing taken, the source not asked");
        assertEquals(List.of(16), s.asked);
        assertEquals(0, uart.portRead(COM1 + Serial16550.LSR, 1) & 0x02, "no overrun");
        uart.portRead(COM1 + Serial16550.RBR_THR, 1);
        uart.portRead(COM1 + Serial16550.RBR_THR, 1);
        input.feed(uart);
        assertEquals(List.of(16, 2), s.asked);
    }

    @Test
    void aSourceIsAwaitedOnlyWhileItMaySendAndTheUartWouldInterruptWithIt() {
        Scripted s = new Scripted(0, -1);
        input.attach(s);
        assertFalse(input.awaitsSource(uart), "RTS off, no RX interrupt");
        fifoOnRtsOn();
        assertFalse(input.awaitsSource(uart), "no RX interrupt: input could not wake a halted CPU");
        uart.portWrite(COM1 + Serial16550.IER, 1, 0x01);
        assertTrue(input.awaitsSource(uart));
        input.queue(new byte[] {1});
        assertFalse(input.awaitsSource(uart), "queued bytes come first");
        input.dropQueued();
        assertTrue(input.awaitsSource(uart));
        input.feed(uart);   // 0: nothing yet
        assertTrue(input.awaitsSource(uart));
        input.feed(uart);   // the end
        assertFalse(input.awaitsSource(uart), "an ended source sends nothing more");
        assertFalse(input.feed(uart));
        assertEquals(2, s.asked.size(), "an ended source is not asked again");
    }

    @Test
    void withoutASourceNothingIsAwaited() {
        fifoOnRtsOn();
        uart.portWrite(COM1 + Serial16550.IER, 1, 0x01);
        assertFalse(input.awaitsSource(uart));
    }
}
