/**
 * The reusable multi-device test harness: devices as real JVM processes on loopback ({@link
 * dev.kith.mesh.testing.LocalMesh}, {@link dev.kith.mesh.testing.DeviceProcess}) or as containers
 * from the project's own image ({@link dev.kith.mesh.testing.ContainerMesh}), the faults that tests
 * inject into them ({@code kill -9}, {@code docker kill}, {@code docker pause}, network
 * disconnect), and the {@link dev.kith.mesh.testing.Eventually} assertions that poll until a
 * deadline instead of sleeping. The harness talks to devices only over HTTP and signals, never
 * through runtime classes, so it tests the same surface a user sees. It ships to other modules as
 * the test-jar of {@code kith-mesh}.
 */
package dev.kith.mesh.testing;
