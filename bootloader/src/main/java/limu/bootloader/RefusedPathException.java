// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * A {@link ModuleResolver}'s refusal to read a path: the file exists but lies outside the folders that stand for
 * the boot volume (a symbolic link pointing out of them, say). The kernel is told nothing about it, as for a missing
 * file; the message says why it was refused.
 */
public final class RefusedPathException extends Exception {
    private static final long serialVersionUID = 1L;

    public RefusedPathException(String message) {
        super(message);
    }
}
