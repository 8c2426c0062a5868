// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

import java.nio.charset.StandardCharsets;

/**
 * Serial Port Console Redirection table ({@code SPCR}), revision 4 (Microsoft SPCR specification) for COM1: a
 * full 16550 at I/O port 0x3F8 (GAS system I/O, 8 bits wide, byte access), IRQ 4 through the 8259 and GSI 4 through
 * the I/O APIC, 115200 baud 8N1, no flow control, VT100, not a PCI device, UART clock 1.8432 MHz, namespace
 * string {@code "."}. Revision 4 rather than 2 because the acpi crate's {@code Spcr} always has the revision-4
 * fields (precise baud rate, namespace string offset and length), so a shorter table would be read past its end.
 */
final class Spcr {
    static final int REVISION = 4;
    static final int INTERFACE_TYPE = 36;
    static final int BASE_ADDRESS = 40;
    static final int INTERRUPT_TYPE = 52;
    static final int IRQ = 53;
    static final int GLOBAL_SYSTEM_INTERRUPT = 54;
    static final int BAUD_RATE = 58;
    static final int PARITY = 59;
    static final int STOP_BITS = 60;
    static final int FLOW_CONTROL = 61;
    static final int TERMINAL_TYPE = 62;
    static final int PCI_DEVICE_ID = 64;
    static final int PCI_VENDOR_ID = 66;
    static final int UART_CLOCK = 76;
    static final int PRECISE_BAUD_RATE = 80;
    static final int NAMESPACE_LENGTH = 84;
    static final int NAMESPACE_OFFSET = 86;
    static final int NAMESPACE = 88;

    static final int FULL_16550 = 0;
    static final int COM1_PORT = 0x3F8;
    static final int COM1_IRQ = 4;
    /** Bit 0: dual 8259 IRQ; bit 1: I/O APIC GSI. */
    static final int INTERRUPT_8259_AND_IO_APIC = 0x03;
    static final int BAUD_115200 = 7;
    static final int VT100 = 0;
    static final long UART_CLOCK_HZ = 1_843_200;
    static final String NO_NAMESPACE = ".";

    private Spcr() {
    }

    static byte[] bytes() {
        byte[] namespace = (NO_NAMESPACE + "\0").getBytes(StandardCharsets.US_ASCII);
        AcpiTable t = new AcpiTable("SPCR", REVISION);
        t.u8(FULL_16550).zeros(3);
        t.gas(AcpiTable.SYSTEM_IO, 8, 0, 1, COM1_PORT);
        t.u8(INTERRUPT_8259_AND_IO_APIC).u8(COM1_IRQ).u32(COM1_IRQ);
        t.u8(BAUD_115200).u8(0).u8(1).u8(0); // baud, no parity, 1 stop bit, no flow control
        t.u8(VT100).u8(0); // terminal type, language
        t.u16(0xFFFF).u16(0xFFFF); // PCI device and vendor ID: not a PCI device
        t.u8(0).u8(0).u8(0).u32(0).u8(0); // PCI bus, device, function, flags, segment
        t.u32(UART_CLOCK_HZ);
        t.u32(0); // precise baud rate: use the configured one
        t.u16(namespace.length).u16(NAMESPACE);
        t.bytes(namespace);
        return t.bytes();
    }
}
