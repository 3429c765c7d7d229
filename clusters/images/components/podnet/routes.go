package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
)

// routeTable is the seam between the agent and the node's routing table.
type routeTable interface {
	// sync makes the routes podnet owns exactly the desired ones.
	sync(desired []nodeRoute) error
	// mtuOf is the MTU of the interface holding addr, or 0 when unknown.
	mtuOf(addr netip.Addr) int
}

// nodeRoute sends one other node's pod CIDR to that node.
type nodeRoute struct {
	Dst netip.Prefix
	Via netip.Addr
}

// desiredRoutes lists a route for every IPv4 pod CIDR of every node but self, via the node's
// first IPv4 InternalIP. Nodes without either yet are skipped until they have them.
func desiredRoutes(self string, nodes []*corev1.Node) []nodeRoute {
	var routes []nodeRoute
	for _, n := range nodes {
		if n.Name == self {
			continue
		}
		via, ok := internalIPv4(n)
		if !ok {
			continue
		}
		for _, cidr := range nodePodCIDRs(n) {
			routes = append(routes, nodeRoute{Dst: cidr, Via: via})
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].Dst.String() < routes[j].Dst.String() })
	return routes
}

func internalIPv4(n *corev1.Node) (netip.Addr, bool) {
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err == nil && ip.Is4() {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// routeProtocol marks the routes podnet installs (rtnetlink protocol 112, unassigned), so a
// resync can remove routes to nodes that left without touching anyone else's routes.
const routeProtocol = netlink.RouteProtocol(112)

type netlinkRoutes struct{}

func (netlinkRoutes) sync(desired []nodeRoute) error {
	want := map[string]nodeRoute{}
	var errs []error
	for _, r := range desired {
		want[r.Dst.String()] = r
		route := &netlink.Route{
			Dst:      prefixToIPNet(r.Dst),
			Gw:       net.IP(r.Via.AsSlice()),
			Protocol: routeProtocol,
		}
		if err := netlink.RouteReplace(route); err != nil {
			errs = append(errs, fmt.Errorf("ip route replace %s via %s: %w", r.Dst, r.Via, err))
		}
	}
	current, err := netlink.RouteListFiltered(netlink.FAMILY_V4, &netlink.Route{Protocol: routeProtocol}, netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("listing routes: %w", err))...)
	}
	for _, r := range current {
		if r.Dst == nil {
			continue
		}
		if _, ok := want[r.Dst.String()]; ok {
			continue
		}
		if err := netlink.RouteDel(&r); err != nil {
			errs = append(errs, fmt.Errorf("ip route del %s: %w", r.Dst, err))
		}
	}
	return errors.Join(errs...)
}

func (netlinkRoutes) mtuOf(addr netip.Addr) int {
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return 0
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || ip.Unmap() != addr.Unmap() {
			continue
		}
		link, err := netlink.LinkByIndex(a.LinkIndex)
		if err != nil {
			return 0
		}
		return link.Attrs().MTU
	}
	return 0
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
