// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Everything a {@link Serial16550} needs to resume exactly where it was; what
 * the guest can observe in IIR and LSR follows from these fields.
 *
 * @param dll                      divisor latch, low byte
 * @param dlm                      divisor latch, high byte
 * @param ier                      interrupt enable register (bits 0–3)
 * @param fcr                      FIFO control as last programmed: enable, DMA mode, RX trigger (bits 0, 3, 6–7)
 * @param lcr                      line control register
 * @param mcr                      modem control register (bits 0–4)
 * @param lineStatusErrors         sticky LSR error bits not yet read (OE, PE, FE, BI)
 * @param msrDeltas                MSR change bits not yet read (bits 0–3)
 * @param modemInputs              the CTS/DSR/RI/DCD input pins as MSR bits 4–7, seen outside loopback
 * @param scr                      scratch register
 * @param thrEmptyInterruptPending the THR-empty interrupt has fired and not been acknowledged
 * @param rxFifo                   received bytes not yet read, oldest first
 */
public record SerialState(
        int dll, int dlm, int ier, int fcr, int lcr, int mcr,
        int lineStatusErrors, int msrDeltas, int modemInputs, int scr,
        boolean thrEmptyInterruptPending, byte[] rxFifo) {

    public SerialState {
        requireByte("dll", dll, 0xFF);
        requireByte("dlm", dlm, 0xFF);
        requireByte("ier", ier, 0x0F);
        requireByte("fcr", fcr, 0xC9);
        requireByte("lcr", lcr, 0xFF);
        requireByte("mcr", mcr, 0x1F);
        requireByte("lineStatusErrors", lineStatusErrors, 0x1E);
        requireByte("msrDeltas", msrDeltas, 0x0F);
        requireByte("modemInputs", modemInputs, 0xF0);
        requireByte("scr", scr, 0xFF);
        if (rxFifo.length > Serial16550.FIFO_SIZE) {
            throw new IllegalArgumentException("rxFifo holds " + rxFifo.length + " bytes, the FIFO only "
                    + Serial16550.FIFO_SIZE);
        }
        rxFifo = rxFifo.clone();
    }

    private static void requireByte(String what, int value, int allowedBits) {
        if ((value & ~allowedBits) != 0) {
            throw new IllegalArgumentException(String.format("%s = 0x%x has bits outside 0x%02x",
                    what, value, allowedBits));
        }
    }

    @Override
    public byte[] rxFifo() {
        return rxFifo.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SerialState s
                && dll == s.dll && dlm == s.dlm && ier == s.ier && fcr == s.fcr && lcr == s.lcr && mcr == s.mcr
                && lineStatusErrors == s.lineStatusErrors && msrDeltas == s.msrDeltas
                && modemInputs == s.modemInputs && scr == s.scr
                && thrEmptyInterruptPending == s.thrEmptyInterruptPending
                && Arrays.equals(rxFifo, s.rxFifo);
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (int v : new int[] {dll, dlm, ier, fcr, lcr, mcr, lineStatusErrors, msrDeltas, modemInputs, scr}) {
            h = 31 * h + v;
        }
        return 31 * (31 * h + Boolean.hashCode(thrEmptyInterruptPending)) + Arrays.hashCode(rxFifo);
    }

    @Override
    public String toString() {
        return String.format("SerialState[dll=%02x, dlm=%02x, ier=%02x, fcr=%02x, lcr=%02x, mcr=%02x, "
                        + "lineStatusErrors=%02x, msrDeltas=%x, modemInputs=%02x, scr=%02x, "
                        + "thrEmptyInterruptPending=%b, rxFifo=[%s]]",
                dll, dlm, ier, fcr, lcr, mcr, lineStatusErrors, msrDeltas, modemInputs, scr,
                thrEmptyInterruptPending, HexFormat.ofDelimiter(" ").formatHex(rxFifo));
    }
}
