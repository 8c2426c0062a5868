// SPDX-License-Identifier: GPL-2.0-or-later
package limu.devices;

/** Told when the guest asks the platform to reset or power off (8042 reset line, ACPI S5). */
public interface PowerListener {
    /** @param reason e.g. {@code "8042 command 0xFE"} */
    void resetRequested(String reason);

    /** @param reason e.g. {@code "ACPI PM1 control: SLP_TYP 0 (S5) + SLP_EN"} */
    void powerOffRequested(String reason);

    PowerListener IGNORE = new PowerListener() {
        @Override
        public void resetRequested(String reason) {
        }

        @Override
        public void powerOffRequested(String reason) {
        }
    };
}
