package phone

import (
	"os"

	"github.com/emiago/sipgo/sip"
)

func init() { sip.SIPDebug = os.Getenv("SIP_DEBUG") == "true" }
