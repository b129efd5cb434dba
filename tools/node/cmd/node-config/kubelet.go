package main

import (
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

func kubeletConfig(s settings) ([]byte, error) {
	f := false
	t := true
	zero := int32(0)
	c := kubeletv1beta1.KubeletConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: "kubelet.config.k8s.io/v1beta1", Kind: "KubeletConfiguration"},
		// This machine runs cgroup v1 (a Firecracker VM): the kubelet refuses it unless told.
		FailCgroupV1: &f,
		CgroupDriver: "cgroupfs",
		// Every pod cgroup goes under the cgroup the starting process is in, never beside it.
		CgroupRoot:               s.cgroupRoot,
		CgroupsPerQOS:            &t,
		EnforceNodeAllocatable:   []string{"pods"},
		ContainerRuntimeEndpoint: "unix://" + containerdSocket(s),
		Address:                  s.nodeIP,
		Port:                     int32(s.kubeletPort),
		ReadOnlyPort:             0,
		HealthzBindAddress:       "127.0.0.1",
		HealthzPort:              ptr(int32(s.kubeletHealthz)),
		// The API server is the only client (exec, logs) and reaches the kubelet on the node's
		// own address; it presents no client certificate here. Pods could reach that address
		// too: scripts/node.sh (node_guard) rejects their connections to this port.
		Authentication: kubeletv1beta1.KubeletAuthentication{
			Anonymous: kubeletv1beta1.KubeletAnonymousAuthentication{Enabled: &t},
			Webhook:   kubeletv1beta1.KubeletWebhookAuthentication{Enabled: &f},
		},
		Authorization:  kubeletv1beta1.KubeletAuthorization{Mode: kubeletv1beta1.KubeletAuthorizationModeAlwaysAllow},
		ClusterDNS:     []string{s.nodeIP},
		ClusterDomain:  s.clusterDomain,
		ResolverConfig: ptr("/etc/resolv.conf"),
		FailSwapOn:     &f,
		// A shared development machine: evict only when the disk is really full.
		EvictionHard: map[string]string{
			"memory.available":  "100Mi",
			"nodefs.available":  "2%",
			"imagefs.available": "2%",
		},
		ImageGCHighThresholdPercent: ptr(int32(98)),
		ImageGCLowThresholdPercent:  ptr(int32(95)),
		SerializeImagePulls:         &f,
		RegisterNode:                &t,
		RotateCertificates:          false,
		ServerTLSBootstrap:          false,
		// The control plane runs beside the node; its processes are not containers.
		KubeletCgroups:        "",
		SystemCgroups:         "",
		ProtectKernelDefaults: false,
		PodPidsLimit:          ptr(int64(-1)),
		// Pods are deleted by the test suite and by `down`; do not wait a minute per pod.
		ShutdownGracePeriod:           metav1.Duration{Duration: 0},
		NodeStatusUpdateFrequency:     metav1.Duration{Duration: 10 * time.Second},
		VolumeStatsAggPeriod:          metav1.Duration{Duration: time.Minute},
		FileCheckFrequency:            metav1.Duration{Duration: 20 * time.Second},
		MaxPods:                       110,
		StaticPodPath:                 "",
		TLSCertFile:                   "",
		ContainerLogMaxFiles:          ptr(int32(2)),
		ContainerLogMaxSize:           "10Mi",
		LocalStorageCapacityIsolation: &t,
		MemorySwap:                    kubeletv1beta1.MemorySwapConfiguration{},
		KernelMemcgNotification:       false,
		PodLogsDir:                    filepath.Join(s.stateDir, "pod-logs"),
		RuntimeRequestTimeout:         metav1.Duration{Duration: 2 * time.Minute},
		ImageMaximumGCAge:             metav1.Duration{},
		RegistryPullQPS:               &zero,
	}
	return yaml.Marshal(c)
}

func ptr[T any](v T) *T { return &v }
