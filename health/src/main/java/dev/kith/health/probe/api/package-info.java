/**
 * The event-bus contract of the probe and the beacon: the interface their instances serve and
 * callers get typed proxies of, and their addresses. Vert.x codegen writes the proxy and the
 * handler from it.
 */
@ModuleGen(name = "kith-probe", groupPackage = "dev.kith.health.probe.api")
package dev.kith.health.probe.api;

import io.vertx.codegen.annotations.ModuleGen;
