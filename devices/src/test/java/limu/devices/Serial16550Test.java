// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Serial16550Test {
    private static final int BASE = Serial16550.COM1;
    private static final int RBR = BASE, THR = BASE, DLL = BASE;
    private static final int IER = BASE + 1, DLM = BASE + 1;
    private static final int IIR = BASE + 2, FCR = BASE + 2;
    private static final int LCR = BASE + 3, MCR = BASE + 4, LSR = BASE + 5, MSR = BASE + 6, SCR = BASE + 7;

    /** Records every level change the UART drives. */
    static final class RecordingLine implements InterruptLine {
        final List<Boolean> changes = new ArrayList<>();

        @Override
        public void set(boolean level) {
            changes.add(level);
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final RecordingLine irq = new RecordingLine();
    private final Serial16550 uart = new Serial16550(BASE, out, irq);

    private int in(int port) {
        return uart.portRead(port, 1);
    }

    private void outb(int port, int value) {
        uart.portWrite(port, 1, value);
    }

    /** {@code uart_16550} 0.3.2 {@code SerialPort::init()}, write for write. */
    private void uart16550CrateInit() {
        outb(IER, 0x00);
        outb(LCR, 0x80);
        outb(DLL, 0x03);
        outb(DLM, 0x00);
        outb(LCR, 0x03);
        outb(FCR, 0xC7);
        outb(MCR, 0x0B);
        outb(IER, 0x01);
    }

    /** {@code uart_16550}'s {@code send_raw}: spin on LSR.THRE, then write THR. */
    private void pollingSend(byte[] bytes) {
        for (byte b : bytes) {
            int spins = 0;
            while ((in(LSR) & 0x20) == 0) {
                assertTrue(++spins < 10, "THRE never set");
            }
            outb(THR, b & 0xFF);
        }
    }

    private byte[] output() {
        uart.flush();
        return out.toByteArray();
    }

    @Test
    void powerOnValuesAreThoseOfA16550WithATerminal() {
        assertEquals(0x00, in(IER));
        assertEquals(0x01, in(IIR));
        assertEquals(0x00, in(LCR));
        assertEquals(0x00, in(MCR));
        assertEquals(0x60, in(LSR));
        assertEquals(0xB0, in(MSR));
        assertEquals(0x00, in(SCR));
        assertEquals(0x00, in(RBR));
        assertFalse(uart.interruptLevel());
        assertTrue(irq.changes.isEmpty());
        assertEquals("com1", uart.name());
        assertEquals(List.of(new PortRange(0x3F8, 8)), uart.ports());
    }

    @Test
    void crateInitOutputsNothingAndLeavesTheProgrammedRegisters() {
        uart16550CrateInit();

        assertEquals(0, output().length, "the divisor written to 0x3F8 under DLAB must not be output");
        assertEquals(3, uart.divisor());
        assertEquals(0x01, in(IER));
        assertEquals(0xC1, in(IIR), "no interrupt, FIFOs enabled");
        assertEquals(0x03, in(LCR));
        assertEquals(0x0B, in(MCR));
        assertEquals(0x60, in(LSR));
        assertFalse(uart.interruptLevel());
        assertTrue(irq.changes.isEmpty());

        outb(LCR, 0x83);
        assertEquals(0x03, in(DLL), "divisor reads back under DLAB");
        assertEquals(0x00, in(DLM));
        outb(LCR, 0x03);
        assertEquals(0x01, in(IER), "without DLAB offset 1 is IER again");
    }

    @Test
    void polledSendOutputsExactlyTheBytes() {
        uart16550CrateInit();
        byte[] text = "\u001b[31mred\u001b[0m\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[text.length + 3];
        System.arraycopy(text, 0, all, 0, text.length);
        all[text.length] = 0x00;
        all[text.length + 1] = (byte) 0xFF;
        all[text.length + 2] = 0x08;

        pollingSend(all);

        assertArrayEquals(all, output());
        assertEquals(0x60, in(LSR), "transmission is instant");
        assertTrue(irq.changes.isEmpty(), "IER only enables RX interrupts");
    }

    @Test
    void outputIsBufferedUntilFlushedUnlessFlushingEachLine() {
        outb(THR, 'a');
        outb(THR, '\n');
        assertEquals(0, out.size(), "no write to the stream per byte");
        uart.flush();
        assertEquals("a\n", out.toString(StandardCharsets.US_ASCII));

        ByteArrayOutputStream lineOut = new ByteArrayOutputStream();
        int[] flushes = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
                lineOut.write(b);
            }

            @Override
            public void flush() {
                flushes[0]++;
            }
        };
        Serial16550 interactive = new Serial16550(BASE, counting, InterruptLine.DISCONNECTED, true);
        interactive.portWrite(THR, 1, 'o');
        interactive.portWrite(THR, 1, 'k');
        assertEquals(0, lineOut.size());
        interactive.portWrite(THR, 1, '\n');
        assertEquals("ok\n", lineOut.toString(StandardCharsets.US_ASCII));
        assertEquals(1, flushes[0]);
    }

    @Test
    void largeOutputReachesTheStreamInBlocks() {
        byte[] expected = new byte[10_000];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (byte) i;
            outb(THR, i);
        }
        assertTrue(out.size() > 0 && out.size() < expected.length, "full buffers are written without a flush");
        assertArrayEquals(expected, output());
    }

    @Test
    void failingOutputIsReportedAndDoesNotStopTheGuest() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("broken pipe");
            }
        };
        Serial16550 u = new Serial16550(BASE, broken, InterruptLine.DISCONNECTED);
        u.portWrite(THR, 1, 'x');
        u.flush();
        assertEquals("broken pipe", u.outputError().orElseThrow().getMessage());
        u.portWrite(THR, 1, 'y');
        u.flush();
        assertEquals(0x60, u.portRead(LSR, 1));
    }

    @Test
    void receivedByteRaisesTheInterruptAndReadingItLowersIt() {
        uart16550CrateInit();
        uart.receive('k');

        assertEquals(0x61, in(LSR));
        assertTrue(uart.interruptLevel());
        assertEquals(List.of(true), irq.changes);
        // One byte is below the trigger level of 14: the character timeout source.
        assertEquals(0xCC, in(IIR));
        assertEquals('k', in(RBR));
        assertEquals(0x60, in(LSR));
        assertEquals(0xC1, in(IIR));
        assertFalse(uart.interruptLevel());
        assertEquals(List.of(true, false), irq.changes);
        assertEquals(0, in(RBR), "reading an empty FIFO");
    }

    @Test
    void rxDataAvailableAtTheTriggerLevel() {
        outb(FCR, 0x41); // FIFOs on, trigger 4
        outb(IER, 0x01);
        outb(MCR, 0x08);
        uart.receive(new byte[] {1, 2, 3});
        assertEquals(0xCC, in(IIR));
        uart.receive(4);
        assertEquals(0xC4, in(IIR));
        for (int i = 1; i <= 4; i++) {
            assertEquals(i, in(RBR));
        }
        assertEquals(0xC1, in(IIR));

        outb(FCR, 0x00); // FIFOs off: any byte is "data available"
        uart.receive(9);
        assertEquals(0x04, in(IIR));
    }

    @Test
    void interruptNeedsOut2() {
        outb(IER, 0x01);
        uart.receive('x');
        assertEquals(0x04, in(IIR), "pending inside the chip");
        assertFalse(uart.interruptLevel(), "but OUT2 gates it off the bus");
        outb(MCR, 0x08);
        assertTrue(uart.interruptLevel());
        outb(MCR, 0x00);
        assertFalse(uart.interruptLevel());
        assertEquals(List.of(true, false), irq.changes);
    }

    @Test
    void fifoHolds16BytesThenOverruns() {
        outb(FCR, 0x01);
        assertEquals(16, uart.receiveCapacity());
        byte[] bytes = new byte[17];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) ('a' + i);
        }
        uart.receive(bytes);
        assertEquals(0, uart.receiveCapacity());
        assertEquals(0x63, in(LSR), "DR and OE");
        assertEquals(0x61, in(LSR), "reading LSR clears OE");
        for (int i = 0; i < 16; i++) {
            assertEquals('a' + i, in(RBR), "the FIFO kept its first 16 bytes");
        }
        assertEquals(0x60, in(LSR));
    }

    @Test
    void withoutFifoANewByteOverwritesTheUnreadOne() {
        assertEquals(1, uart.receiveCapacity());
        uart.receive('1');
        uart.receive('2');
        assertEquals(0x63, in(LSR));
        assertEquals('2', in(RBR));
        assertEquals(0x60, in(LSR));
    }

    @Test
    void overrunRaisesTheLineStatusInterruptAheadOfData() {
        outb(IER, 0x0F);
        outb(MCR, 0x08);
        assertEquals(0x02, in(IIR), "THR empty fires when enabled");
        uart.receive('a');
        uart.receive('b');
        assertEquals(0x06, in(IIR), "line status first");
        assertEquals(0x06, in(IIR), "reading IIR does not clear it");
        assertEquals(0x63, in(LSR));
        assertEquals(0x04, in(IIR), "then received data");
        in(RBR);
        assertEquals(0x01, in(IIR));
        assertFalse(uart.interruptLevel());
    }

    @Test
    void interruptPriorities() {
        outb(FCR, 0x01); // FIFOs on, trigger 1
        outb(MCR, 0x08);
        outb(IER, 0x0F);
        uart.setModemInputs(0x30); // carrier lost: DCD change
        uart.receive(new byte[17]); // overrun
        // All four sources pending: line status > RX data > THR empty > modem status.
        assertEquals(0xC6, in(IIR));
        in(LSR);
        assertEquals(0xC4, in(IIR));
        while ((in(LSR) & 0x01) != 0) {
            in(RBR);
        }
        assertEquals(0xC2, in(IIR));
        assertEquals(0xC0, in(IIR), "reading IIR acknowledged THR empty");
        assertTrue(uart.interruptLevel());
        assertEquals(0x38, in(MSR), "CTS, DSR, delta DCD");
        assertEquals(0xC1, in(IIR));
        assertFalse(uart.interruptLevel());
    }

    @Test
    void thrEmptyInterrupt() {
        outb(MCR, 0x08);
        outb(IER, 0x02);
        assertTrue(uart.interruptLevel(), "enabling it with THR empty fires it");
        assertEquals(0x02, in(IIR));
        assertFalse(uart.interruptLevel(), "reading IIR acknowledged it");
        assertEquals(0x01, in(IIR));

        irq.changes.clear();
        outb(THR, 'x');
        assertTrue(uart.interruptLevel(), "the byte left at once: THR empty again");
        assertEquals(List.of(true), irq.changes);

        irq.changes.clear();
        outb(THR, 'y');
        assertEquals(List.of(false, true), irq.changes, "a THR write pulses the line: a new edge");
        assertEquals(0x02, in(IIR));

        irq.changes.clear();
        outb(IER, 0x00);
        outb(THR, 'z');
        assertEquals(0x01, in(IIR));
        assertTrue(irq.changes.isEmpty());
        assertEquals("xyz", new String(output(), StandardCharsets.US_ASCII));
    }

    @Test
    void thrEmptyIsOnlyAcknowledgedByIirWhenItIsTheReportedSource() {
        outb(MCR, 0x08);
        outb(IER, 0x03);
        uart.receive('a');
        assertEquals(0x04, in(IIR));
        in(RBR);
        assertEquals(0x02, in(IIR), "still pending after the higher-priority source was served");
        assertEquals(0x01, in(IIR));
    }

    @Test
    void fcrClearsAndSwitchesFifos() {
        outb(FCR, 0x01);
        uart.receive(new byte[] {1, 2, 3});
        outb(FCR, 0x03); // clear RX, FIFOs stay on
        assertEquals(0x60, in(LSR));
        assertEquals(0xC1, in(IIR));

        uart.receive(new byte[] {4, 5});
        outb(FCR, 0x05); // clear TX only: RX kept
        assertEquals(0x61, in(LSR));

        outb(FCR, 0x00); // FIFOs off: both emptied, IIR bits 6-7 clear
        assertEquals(0x60, in(LSR));
        assertEquals(0x01, in(IIR));
        assertEquals(1, uart.receiveCapacity());

        outb(FCR, 0xC0); // other bits without the enable bit are not programmed
        assertEquals(0x01, in(IIR));
        assertEquals(0, uart.state().fcr());
    }

    @Test
    void clearingRxLowersItsInterrupt() {
        outb(FCR, 0x01);
        outb(IER, 0x01);
        outb(MCR, 0x08);
        uart.receive(7);
        assertTrue(uart.interruptLevel());
        outb(FCR, 0x03);
        assertFalse(uart.interruptLevel());
    }

    @Test
    void loopbackSendsThrToTheReceiverAndMcrToMsr() {
        uart16550CrateInit();
        outb(MCR, 0x1B); // loopback with DTR, RTS, OUT2
        assertEquals(0xB0, in(MSR), "DSR=DTR, CTS=RTS, RI=OUT1, DCD=OUT2; no change from the terminal's lines");
        assertTrue(irq.changes.isEmpty());

        outb(THR, 0xAE);
        assertEquals(0, output().length, "loopback bytes are not output");
        assertEquals(0x61, in(LSR));
        assertTrue(uart.interruptLevel(), "RX interrupt works in loopback");
        assertEquals(0xAE, in(RBR));
        assertFalse(uart.interruptLevel());

        assertEquals(0, uart.receiveCapacity(), "serial input is disconnected in loopback");
        uart.receive('x');
        assertEquals(0x60, in(LSR));

        outb(MCR, 0x14); // OUT1 only
        assertEquals(0x40 | 0x0B, in(MSR), "RI; CTS, DSR, DCD changed");
        outb(MCR, 0x10);
        assertEquals(0x04, in(MSR), "trailing edge of RI");
        assertEquals(0x00, in(MSR), "reading MSR clears the deltas");

        outb(MCR, 0x0B); // leave loopback: the terminal's lines again
        assertEquals(0xBB, in(MSR));
        outb(THR, 'o');
        assertEquals("o", new String(output(), StandardCharsets.US_ASCII));
    }

    @Test
    void modemStatusInterrupt() {
        outb(MCR, 0x08);
        outb(IER, 0x08);
        assertFalse(uart.interruptLevel());
        uart.setModemInputs(0xF0); // ring
        assertFalse(uart.interruptLevel(), "a rising RI is not a change the MSR reports");
        uart.setModemInputs(0xB0);
        assertTrue(uart.interruptLevel());
        assertEquals(0x00, in(IIR));
        assertEquals(0xB4, in(MSR));
        assertFalse(uart.interruptLevel());
        assertThrows(IllegalArgumentException.class, () -> uart.setModemInputs(0x01));
    }

    @Test
    void lsrAndMsrIgnoreWritesAndScratchKeepsAByte() {
        outb(LSR, 0x00);
        outb(MSR, 0x00);
        assertEquals(0x60, in(LSR));
        assertEquals(0xB0, in(MSR));
        outb(SCR, 0x5A);
        assertEquals(0x5A, in(SCR));
    }

    @Test
    void wideAccessesActOnTheAddressedRegister() {
        uart.portWrite(SCR, 4, 0x1234_56A5);
        assertEquals(0xA5, uart.portRead(SCR, 4));
        assertEquals(0x60, uart.portRead(LSR, 2));
        uart.portWrite(THR, 2, 0x4142);
        assertArrayEquals(new byte[] {0x42}, output());
    }

    @Test
    void resetRestoresPowerOnState() {
        uart16550CrateInit();
        outb(SCR, 0x77);
        outb(IER, 0x03);
        uart.receive(new byte[] {1, 2});
        assertTrue(uart.interruptLevel());

        uart.reset();

        assertEquals(List.of(true, false), irq.changes, "reset lowers a raised line");
        assertEquals(0x00, in(IER));
        assertEquals(0x01, in(IIR));
        assertEquals(0x00, in(LCR));
        assertEquals(0x00, in(MCR));
        assertEquals(0x60, in(LSR));
        assertEquals(0xB0, in(MSR));
        assertEquals(0x00, in(SCR));
        assertEquals(1, uart.receiveCapacity());
        assertEquals(new Serial16550(BASE, OutputStream.nullOutputStream(), InterruptLine.DISCONNECTED).state(),
                uart.state());
    }

    @Test
    void stateRoundTrip() {
        uart16550CrateInit();
        outb(SCR, 0x42);
        outb(IER, 0x0F);
        uart.setModemInputs(0x30);
        uart.receive(new byte[] {10, 20, 30});
        in(RBR);
        SerialState saved = uart.state();

        assertEquals(0x0F, saved.ier());
        assertEquals(0xC1, saved.fcr());
        assertEquals(0x0B, saved.mcr());
        assertEquals(0x08, saved.msrDeltas());
        assertArrayEquals(new byte[] {20, 30}, saved.rxFifo());
        assertTrue(saved.thrEmptyInterruptPending());

        RecordingLine otherIrq = new RecordingLine();
        Serial16550 copy = new Serial16550(BASE, OutputStream.nullOutputStream(), otherIrq);
        copy.restore(saved);
        assertEquals(saved, copy.state());
        assertEquals(saved.hashCode(), copy.state().hashCode());
        assertEquals(List.of(true), otherIrq.changes, "the restored device drives its line");

        // Both now answer the guest identically.
        for (int offset : new int[] {Serial16550.LSR, Serial16550.IIR_FCR, Serial16550.MSR, Serial16550.RBR_THR,
                Serial16550.RBR_THR, Serial16550.LSR, Serial16550.IIR_FCR, Serial16550.IIR_FCR, Serial16550.SCR}) {
            assertEquals(in(BASE + offset), copy.portRead(BASE + offset, 1), "offset " + offset);
        }
        assertEquals(uart.state(), copy.state());
        assertNotEquals(saved, uart.state());

        uart.restore(saved);
        assertEquals(saved, uart.state());
    }

    @Test
    void stateIsImmutableAndValidated() {
        byte[] rx = {1};
        SerialState s = new SerialState(3, 0, 0, 0xC1, 3, 0x0B, 0, 0, 0xB0, 0, false, rx);
        rx[0] = 9;
        assertArrayEquals(new byte[] {1}, s.rxFifo());
        s.rxFifo()[0] = 9;
        assertArrayEquals(new byte[] {1}, s.rxFifo());

        assertThrows(IllegalArgumentException.class,
                () -> new SerialState(0x100, 0, 0, 0, 0, 0, 0, 0, 0xB0, 0, false, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new SerialState(0, 0, 0, 0x01, 0, 0, 0, 0, 0xB0, 0, false, new byte[17]));
        SerialState twoBytesFifoOff = new SerialState(0, 0, 0, 0, 0, 0, 0, 0, 0xB0, 0, false, new byte[2]);
        assertThrows(IllegalArgumentException.class, () -> uart.restore(twoBytesFifoOff));
    }

    @Test
    void namesFollowTheComPort() {
        assertEquals("com2", new Serial16550(Serial16550.COM2, out, InterruptLine.DISCONNECTED).name());
        assertEquals("uart@0x500", new Serial16550(0x500, out, InterruptLine.DISCONNECTED).name());
        assertThrows(IllegalArgumentException.class,
                () -> new Serial16550(0xFFFC, out, InterruptLine.DISCONNECTED));
    }

    @Test
    void readyToReceiveFollowsRtsOutsideLoopback() {
        assertFalse(uart.readyToReceive(), "RTS is clear after reset");
        outb(MCR, 0x02);
        assertTrue(uart.readyToReceive());
        outb(MCR, 0x12);
        assertFalse(uart.readyToReceive(), "loopback turns RTS back to the chip");
        outb(MCR, 0x0B);
        assertTrue(uart.readyToReceive());
    }

    @Test
    void receiveInterruptNeedsBothTheRxDataEnableAndOut2() {
        assertFalse(uart.receiveInterruptEnabled(), "IER and MCR are 0 after reset");
        outb(IER, 0x01);
        assertFalse(uart.receiveInterruptEnabled(), "OUT2 off: INTR does not reach the IRQ line");
        outb(MCR, 0x08);
        assertTrue(uart.receiveInterruptEnabled());
        outb(IER, 0x02);
        assertFalse(uart.receiveInterruptEnabled(), "THR-empty alone wakes nobody on input");
        outb(LCR, 0x80);
        outb(IER, 0x01);   // DLM, not IER
        assertFalse(uart.receiveInterruptEnabled());
    }
}
