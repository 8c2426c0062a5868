// SPDX-License-Identifier: GPL-2.0-or-later
package limu.bootloader;

/**
 * A file the bootloader put into guest memory for the kernel (the executable itself for the Executable File
 * request, or a module), as reported in its {@code limine_file}.
 *
 * @param role            {@code executable}, {@code internal module} or {@code module}
 * @param path            the path the kernel sees (leading slash)
 * @param cmdline         the string the kernel sees
 * @param physicalAddress where its bytes start (4 KiB aligned, EXECUTABLE_AND_MODULES)
 * @param size            its size in bytes
 */
public record LoadedFile(String role, String path, String cmdline, long physicalAddress, long size) {
}
