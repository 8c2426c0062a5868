// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * A 16550A UART, as a PC has at COM1 (0x3F8, IRQ 4).
 * <p>
 * The serial line is infinitely fast: a byte written to THR is transmitted at
 * once, so LSR always shows THRE and TEMT, and the transmit FIFO is always
 * empty. Baud rate, word length, parity and stop bits are stored and read back
 * but change nothing; bytes go to the output stream exactly as written (escape
 * sequences, NULs and all). Received bytes come from the owner through
 * {@link #receive(byte[])}.
 * <p>
 * Receive FIFO interrupts: with FIFOs on, the datasheet raises "RX data
 * available" (IIR 0x4) once the FIFO reaches its trigger level and "character
 * timeout" (IIR 0xC) when fewer bytes have sat there for four character times.
 * Since no line time passes here, the timeout is taken to have expired
 * already: fewer bytes than the trigger level report 0xC at once, which is what
 * a driver sees on real hardware (and on QEMU) a moment later.
 * <p>
 * The interrupt output is the PC wiring of the chip: the INTR pin gated by
 * MCR.OUT2. It is driven through {@link InterruptLine}, called only on changes.
 * <p>
 * Not thread-safe: the owner calls every method, including {@link #receive}
 * and {@link #flush()}, from the thread that runs the guest.
 * <p>
 * Register layout and behaviour follow the TI/National PC16550D datasheet.
 */
public final class Serial16550 implements Device, Snapshottable<SerialState> {
    /** Conventional PC base ports. */
    public static final int COM1 = 0x3F8, COM2 = 0x2F8, COM3 = 0x3E8, COM4 = 0x2E8;
    /** Registers occupy this many consecutive ports from the base. */
    public static final int REGISTER_COUNT = 8;
    /** Depth of the receive (and transmit) FIFO of a 16550A. */
    public static final int FIFO_SIZE = 16;

    // Register offsets from the base port.
    /** Read: RBR, receive buffer. Write: THR, transmit holding. DLL when LCR.DLAB. */
    public static final int RBR_THR = 0;
    /** Interrupt enable; DLM when LCR.DLAB. */
    public static final int IER = 1;
    /** Read: IIR, interrupt identification. Write: FCR, FIFO control. */
    public static final int IIR_FCR = 2;
    public static final int LCR = 3;
    public static final int MCR = 4;
    public static final int LSR = 5;
    public static final int MSR = 6;
    public static final int SCR = 7;

    // IER
    static final int IER_RX_DATA = 0x01;
    static final int IER_THR_EMPTY = 0x02;
    static final int IER_LINE_STATUS = 0x04;
    static final int IER_MODEM_STATUS = 0x08;
    static final int IER_WRITABLE = 0x0F;

    // IIR: bit 0 clear = interrupt pending, bits 1-3 its source, bits 6-7 FIFOs on.
    static final int IIR_NONE = 0x01;
    static final int IIR_LINE_STATUS = 0x06;
    static final int IIR_RX_DATA = 0x04;
    static final int IIR_RX_TIMEOUT = 0x0C;
    static final int IIR_THR_EMPTY = 0x02;
    static final int IIR_MODEM_STATUS = 0x00;
    static final int IIR_FIFOS_ENABLED = 0xC0;

    // FCR
    static final int FCR_FIFO_ENABLE = 0x01;
    static final int FCR_CLEAR_RX = 0x02;
    static final int FCR_CLEAR_TX = 0x04;
    static final int FCR_DMA_MODE = 0x08;
    static final int FCR_RX_TRIGGER = 0xC0;
    /** The FCR bits that stay programmed; the clear bits act once and self-clear. */
    static final int FCR_KEPT = FCR_FIFO_ENABLE | FCR_DMA_MODE | FCR_RX_TRIGGER;

    // LCR
    static final int LCR_DLAB = 0x80;

    // MCR
    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOPBACK = 0x10;
    static final int MCR_WRITABLE = 0x1F;

    // LSR
    static final int LSR_DATA_READY = 0x01;
    static final int LSR_OVERRUN = 0x02;
    static final int LSR_PARITY_ERROR = 0x04;
    static final int LSR_FRAMING_ERROR = 0x08;
    static final int LSR_BREAK = 0x10;
    static final int LSR_THR_EMPTY = 0x20;
    static final int LSR_TRANSMITTER_EMPTY = 0x40;
    /** The error bits a read of LSR clears; any of them raises the line status interrupt. */
    static final int LSR_ERRORS = LSR_OVERRUN | LSR_PARITY_ERROR | LSR_FRAMING_ERROR | LSR_BREAK;

    // MSR: deltas in bits 0-3 (cleared by reading MSR), line states in bits 4-7.
    static final int MSR_DELTA_CTS = 0x01;
    static final int MSR_DELTA_DSR = 0x02;
    static final int MSR_TRAILING_EDGE_RI = 0x04;
    static final int MSR_DELTA_DCD = 0x08;
    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;
    static final int MSR_LINES = MSR_CTS | MSR_DSR | MSR_RI | MSR_DCD;

    /** A terminal attached and ready: CTS, DSR and DCD asserted, no ring (MSR 0xB0, as under QEMU). */
    public static final int TERMINAL_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;

    /**
     * The divisor after reset. The datasheet leaves the latch undefined at
     * power-on; 12 (9600 baud) is what QEMU resets it to.
     */
    static final int RESET_DIVISOR = 12;

    private final String name;
    private final int base;
    private final ByteOutput output;
    private final InterruptLine interrupt;

    private int dll;
    private int dlm;
    private int ier;
    private int fcr;
    private int lcr;
    private int mcr;
    private int scr;
    private int lineStatusErrors;
    private int msrDeltas;
    private int modemInputs = TERMINAL_CONNECTED;
    private boolean thrEmptyInterruptPending;

    private final byte[] rxFifo = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;

    private boolean interruptLevel;

    /** A UART at {@code base} named after its COM port, flushing only when told to. */
    public Serial16550(int base, OutputStream output, InterruptLine interrupt) {
        this(defaultName(base), base, output, interrupt, false);
    }

    /**
     * @param flushEachLine flush the output stream after every '\n' (for an
     *                      interactive terminal); otherwise bytes reach the stream
     *                      in blocks and the owner calls {@link #flush()}
     */
    public Serial16550(int base, OutputStream output, InterruptLine interrupt, boolean flushEachLine) {
        this(defaultName(base), base, output, interrupt, flushEachLine);
    }

    public Serial16550(String name, int base, OutputStream output, InterruptLine interrupt,
                       boolean flushEachLine) {
        if (name == null || interrupt == null) {
            throw new NullPointerException(name == null ? "name" : "interrupt line");
        }
        new PortRange(base, REGISTER_COUNT); // validates the base
        this.name = name;
        this.base = base;
        this.output = new ByteOutput(output, flushEachLine);
        this.interrupt = interrupt;
        resetRegisters();
    }

    private static String defaultName(int base) {
        return switch (base) {
            case COM1 -> "com1";
            case COM2 -> "com2";
            case COM3 -> "com3";
            case COM4 -> "com4";
            default -> String.format("uart@0x%x", base);
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PortRange> ports() {
        return List.of(new PortRange(base, REGISTER_COUNT));
    }

    /** Wider accesses act on the addressed register alone; its value comes back in the low byte. */
    @Override
    public int portRead(int port, int size) {
        return switch (port - base) {
            case RBR_THR -> dlab() ? dll : readRbr();
            case IER -> dlab() ? dlm : ier;
            case IIR_FCR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> readLsr();
            case MSR -> readMsr();
            case SCR -> scr;
            default -> 0xFF;
        };
    }

    /** Wider accesses write their low byte to the addressed register. */
    @Override
    public void portWrite(int port, int size, int value) {
        int v = value & 0xFF;
        switch (port - base) {
            case RBR_THR -> {
                if (dlab()) {
                    dll = v;
                } else {
                    writeThr(v);
                }
            }
            case IER -> {
                if (dlab()) {
                    dlm = v;
                } else {
                    writeIer(v);
                }
            }
            case IIR_FCR -> writeFcr(v);
            case LCR -> lcr = v;
            case MCR -> writeMcr(v);
            case SCR -> scr = v;
            default -> {
                // LSR and MSR are read-only (LSR writes are for factory testing).
            }
        }
    }

    /**
     * Master reset: registers to their datasheet reset values (IER 0, IIR 0x01,
     * LCR 0, MCR 0, LSR 0x60, FIFOs off and empty). The modem input pins belong
     * to whatever is plugged in and keep their state.
     */
    @Override
    public void reset() {
        resetRegisters();
        updateInterrupt();
    }

    private void resetRegisters() {
        dll = RESET_DIVISOR & 0xFF;
        dlm = RESET_DIVISOR >>> 8;
        ier = 0;
        fcr = 0;
        lcr = 0;
        mcr = 0;
        scr = 0;
        lineStatusErrors = 0;
        msrDeltas = 0;
        thrEmptyInterruptPending = false;
        clearRxFifo();
    }

    // ---- input from the outside world ----

    /** A byte arrives on the serial input. See {@link #receive(byte[])}. */
    public void receive(int b) {
        if (loopback()) {
            return; // the datasheet disconnects the serial input in loopback mode
        }
        enqueueRx((byte) b);
        updateInterrupt();
    }

    /**
     * Bytes arrive on the serial input, in order. Those that find no room are
     * lost and set LSR.OE, as on the real line; an owner that would rather hold
     * input back feeds at most {@link #receiveCapacity()} bytes at a time. In
     * loopback mode the input is disconnected and the bytes are dropped.
     */
    public void receive(byte[] bytes) {
        if (loopback()) {
            return;
        }
        for (byte b : bytes) {
            enqueueRx(b);
        }
        updateInterrupt();
    }

    /**
     * MCR.RTS as the other end of the line sees it: a terminal using RTS/CTS flow control sends only while it is
     * set (never in loopback mode, where the pin is turned back to the chip's own CTS).
     */
    public boolean readyToReceive() {
        return (mcr & MCR_RTS) != 0 && !loopback();
    }

    /**
     * True when a received byte interrupts the CPU: IER's RX data interrupt is on and MCR.OUT2 connects the chip's
     * INTR pin to the PC's IRQ line. A guest waiting in HLT can then be woken by input.
     */
    public boolean receiveInterruptEnabled() {
        return (ier & IER_RX_DATA) != 0 && (mcr & MCR_OUT2) != 0;
    }

    /** How many bytes {@link #receive} can take now without an overrun (0 in loopback mode). */
    public int receiveCapacity() {
        return loopback() ? 0 : rxCapacity() - rxCount;
    }

    /**
     * Sets the modem status input pins (CTS, DSR, RI, DCD as MSR bits 4–7; the
     * default is {@link #TERMINAL_CONNECTED}). Changes set the MSR delta bits and
     * may raise the modem status interrupt; in loopback mode the pins are
     * disconnected and take effect when loopback ends.
     */
    public void setModemInputs(int msrLineBits) {
        if ((msrLineBits & ~MSR_LINES) != 0) {
            throw new IllegalArgumentException(String.format("modem inputs 0x%x: only MSR bits 4-7", msrLineBits));
        }
        int before = msrLines();
        modemInputs = msrLineBits;
        noteMsrChange(before, msrLines());
        updateInterrupt();
    }

    // ---- output and observation ----

    /** Hands every byte transmitted so far to the output stream and flushes it. */
    public void flush() {
        output.flush();
    }

    /** The first error the output stream threw; transmitted bytes are discarded from then on. */
    public Optional<IOException> outputError() {
        return output.error();
    }

    /** The interrupt output as last sent to the {@link InterruptLine}. */
    public boolean interruptLevel() {
        return interruptLevel;
    }

    /** The baud rate divisor (DLM:DLL); baud = 115200 / divisor. */
    public int divisor() {
        return dlm << 8 | dll;
    }

    public int base() {
        return base;
    }

    // ---- snapshots ----

    public SerialState state() {
        return new SerialState(dll, dlm, ier, fcr, lcr, mcr, lineStatusErrors, msrDeltas, modemInputs, scr,
                thrEmptyInterruptPending, rxBytes());
    }

    /**
     * Puts the UART back in {@code state}. The interrupt line is driven to the
     * level that state implies if it differs from the current one.
     */
    public void restore(SerialState state) {
        byte[] rx = state.rxFifo();
        int capacity = (state.fcr() & FCR_FIFO_ENABLE) != 0 ? FIFO_SIZE : 1;
        if (rx.length > capacity) {
            throw new IllegalArgumentException(rx.length + " received bytes but the FIFOs are off");
        }
        dll = state.dll();
        dlm = state.dlm();
        ier = state.ier();
        fcr = state.fcr();
        lcr = state.lcr();
        mcr = state.mcr();
        scr = state.scr();
        lineStatusErrors = state.lineStatusErrors();
        msrDeltas = state.msrDeltas();
        modemInputs = state.modemInputs();
        thrEmptyInterruptPending = state.thrEmptyInterruptPending();
        clearRxFifo();
        System.arraycopy(rx, 0, rxFifo, 0, rx.length);
        rxCount = rx.length;
        updateInterrupt();
    }

    // ---- registers ----

    private boolean dlab() {
        return (lcr & LCR_DLAB) != 0;
    }

    private boolean loopback() {
        return (mcr & MCR_LOOPBACK) != 0;
    }

    private boolean fifosEnabled() {
        return (fcr & FCR_FIFO_ENABLE) != 0;
    }

    private int readRbr() {
        if (rxCount == 0) {
            return 0;
        }
        int b = rxFifo[rxHead] & 0xFF;
        rxHead = (rxHead + 1) % FIFO_SIZE;
        rxCount--;
        updateInterrupt();
        return b;
    }

    private void writeThr(int b) {
        // Loading THR drops the THR-empty interrupt; the byte leaves at once and
        // THR is empty again, which raises it anew. Updating the line in
        // between gives an edge-triggered controller the fresh edge it would
        // see from real hardware.
        thrEmptyInterruptPending = false;
        updateInterrupt();
        if (loopback()) {
            enqueueRx((byte) b);
        } else {
            output.write(b);
        }
        if ((ier & IER_THR_EMPTY) != 0) {
            thrEmptyInterruptPending = true;
        }
        updateInterrupt();
    }

    private void writeIer(int value) {
        int newIer = value & IER_WRITABLE;
        int changed = ier ^ newIer;
        ier = newIer;
        if ((changed & IER_THR_EMPTY) != 0) {
            // Enabling the interrupt while THR is empty (always, here) fires it at once.
            thrEmptyInterruptPending = (newIer & IER_THR_EMPTY) != 0;
        }
        updateInterrupt();
    }

    private int readIir() {
        int id = pendingInterrupt();
        if (id == IIR_THR_EMPTY) {
            // Reading IIR acknowledges the THR-empty interrupt when it is the one reported.
            thrEmptyInterruptPending = false;
            updateInterrupt();
        }
        return id | (fifosEnabled() ? IIR_FIFOS_ENABLED : 0);
    }

    private void writeFcr(int value) {
        boolean enable = (value & FCR_FIFO_ENABLE) != 0;
        if (enable != fifosEnabled()) {
            clearRxFifo(); // switching FIFO mode empties both FIFOs
        }
        if (enable) {
            if ((value & FCR_CLEAR_RX) != 0) {
                clearRxFifo();
            }
            // FCR_CLEAR_TX: the transmit FIFO is always empty here.
            fcr = value & FCR_KEPT;
        } else {
            fcr = 0; // other bits are only programmed together with the enable bit
        }
        updateInterrupt();
    }

    private void writeMcr(int value) {
        int before = msrLines();
        mcr = value & MCR_WRITABLE;
        noteMsrChange(before, msrLines());
        updateInterrupt();
    }

    private int readLsr() {
        int value = lsr();
        lineStatusErrors = 0;
        updateInterrupt();
        return value;
    }

    private int lsr() {
        return (rxCount > 0 ? LSR_DATA_READY : 0) | lineStatusErrors | LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
    }

    private int readMsr() {
        int value = msrLines() | msrDeltas;
        msrDeltas = 0;
        updateInterrupt();
        return value;
    }

    /** MSR bits 4–7: the input pins, or in loopback mode the MCR outputs wired back to them. */
    private int msrLines() {
        if (!loopback()) {
            return modemInputs;
        }
        return ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
    }

    private void noteMsrChange(int before, int after) {
        int changed = before ^ after;
        if ((changed & MSR_CTS) != 0) {
            msrDeltas |= MSR_DELTA_CTS;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDeltas |= MSR_DELTA_DSR;
        }
        if ((before & MSR_RI) != 0 && (after & MSR_RI) == 0) {
            msrDeltas |= MSR_TRAILING_EDGE_RI;
        }
        if ((changed & MSR_DCD) != 0) {
            msrDeltas |= MSR_DELTA_DCD;
        }
    }

    // ---- receive FIFO ----

    private int rxCapacity() {
        return fifosEnabled() ? FIFO_SIZE : 1;
    }

    private int rxTriggerLevel() {
        return switch (fcr & FCR_RX_TRIGGER) {
            case 0x00 -> 1;
            case 0x40 -> 4;
            case 0x80 -> 8;
            default -> 14;
        };
    }

    private void enqueueRx(byte b) {
        if (rxCount < rxCapacity()) {
            rxFifo[(rxHead + rxCount) % FIFO_SIZE] = b;
            rxCount++;
            return;
        }
        lineStatusErrors |= LSR_OVERRUN;
        if (!fifosEnabled()) {
            // 16450 mode: the new character overwrites the unread one in RBR.
            rxFifo[rxHead] = b;
        }
        // FIFO mode: the character in the shift register is lost; the FIFO keeps its contents.
    }

    private void clearRxFifo() {
        rxHead = 0;
        rxCount = 0;
    }

    private byte[] rxBytes() {
        byte[] bytes = new byte[rxCount];
        for (int i = 0; i < rxCount; i++) {
            bytes[i] = rxFifo[(rxHead + i) % FIFO_SIZE];
        }
        return bytes;
    }

    // ---- interrupts ----

    /** The IIR source code of the highest-priority enabled interrupt, or {@link #IIR_NONE}. */
    private int pendingInterrupt() {
        if ((ier & IER_LINE_STATUS) != 0 && lineStatusErrors != 0) {
            return IIR_LINE_STATUS;
        }
        if ((ier & IER_RX_DATA) != 0 && rxCount > 0) {
            return !fifosEnabled() || rxCount >= rxTriggerLevel() ? IIR_RX_DATA : IIR_RX_TIMEOUT;
        }
        if ((ier & IER_THR_EMPTY) != 0 && thrEmptyInterruptPending) {
            return IIR_THR_EMPTY;
        }
        if ((ier & IER_MODEM_STATUS) != 0 && msrDeltas != 0) {
            return IIR_MODEM_STATUS;
        }
        return IIR_NONE;
    }

    private void updateInterrupt() {
        boolean level = (mcr & MCR_OUT2) != 0 && pendingInterrupt() != IIR_NONE;
        if (level != interruptLevel) {
            interruptLevel = level;
            interrupt.set(level);
        }
    }
}
