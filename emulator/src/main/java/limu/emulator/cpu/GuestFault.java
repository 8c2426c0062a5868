// SPDX-License-Identifier: GPL-2.0-or-later
package limu.emulator.cpu;

/**
 * An exception the CPU detects while it emulates something for the guest
 * (delivering an event, a SYSCALL, an MSR access): the vector, its error code,
 * CR2 for a page fault, and why, for the crash report. Thrown, never logged:
 * no stack trace.
 */
final class GuestFault extends RuntimeException {
    final int vector;
    final int errorCode;
    final long cr2;

    GuestFault(int vector, int errorCode, long cr2, String why) {
        super(why, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
        this.cr2 = cr2;
    }

    static GuestFault gp(int errorCode, String why) {
        return new GuestFault(Vectors.GP, errorCode, 0, why);
    }

    static GuestFault np(int errorCode, String why) {
        return new GuestFault(Vectors.NP, errorCode, 0, why);
    }
}
