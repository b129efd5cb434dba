package contract

// Recommended app.kubernetes.io label keys. They are contract because the components put
// them on every object and the pack reads name and component to recognise an auth pool's
// claim outside the pool's graph (an adopted or copied claim).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// The label values of the LiteLLMAuthPool's objects (LabelName and LabelComponent): the
// pack takes a claim carrying both for the pool's credential storage.
const (
	AuthPoolLabelName      = "litellm"
	AuthPoolLabelComponent = "auth-pool"
)
