; softphone.nsi — the Vaihde Softphone's Windows setup program (NSIS 3, makensis on Linux).
; build.sh runs: makensis -DVERSION=<packaging/version.sh> -DFILEVERSION=a.b.c.0
;   -DEXE=<path of Softphone.exe> -DICON=<.ico> -DOUTFILE=<setup .exe> softphone.nsi
;
; A per-user install: no administrator rights, everything under $LOCALAPPDATA\Programs\Vaihde and
; HKCU. It adds a Start-menu shortcut, an "Apps & features" entry, the Softphone as handler of
; tel:, callto: and sip: links, and (optional section, on by default) a start with Windows.
; Silent: Softphone-setup-<version>.exe /S [/NOAUTOSTART] [/D=<folder>]; Uninstall.exe /S.

Unicode true
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
ManifestDPIAware true

!ifndef VERSION
	!error "VERSION is not defined (build.sh passes -DVERSION=...)"
!endif
!ifndef FILEVERSION
	!define FILEVERSION "0.0.0.0"
!endif
!ifndef EXE
	!error "EXE (the path of Softphone.exe) is not defined"
!endif
!ifndef OUTFILE
	!define OUTFILE "Softphone-setup-${VERSION}.exe"
!endif

; sign.sh signs only when SIGN_* is set in the environment (a no-op otherwise).
!ifdef SIGN
	!uninstfinalize '"${SIGN}" "%1"'
	!finalize '"${SIGN}" "%1"'
!endif

!define APPNAME "Vaihde Softphone"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\VaihdeSoftphone"
!define RUNKEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define CAPKEY "Software\Vaihde\Softphone\Capabilities"
!define PROGID "VaihdeSoftphone.Url"

Name "${APPNAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Vaihde"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
BrandingText "${APPNAME} ${VERSION}"

VIProductVersion "${FILEVERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=0 "FileDescription" "${APPNAME} setup"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "CompanyName" "Vaihde"
VIAddVersionKey /LANG=0 "LegalCopyright" "Vaihde contributors"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"

!ifdef ICON
	!define MUI_ICON "${ICON}"
	!define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\Softphone.exe"

!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The Softphone's own languages; the first is the default.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Finnish"
!insertmacro MUI_LANGUAGE "Swedish"

LangString SecApp ${LANG_ENGLISH} "Softphone (required)"
LangString SecApp ${LANG_FINNISH} "Softphone (pakollinen)"
LangString SecApp ${LANG_SWEDISH} "Softphone (krävs)"
LangString SecAuto ${LANG_ENGLISH} "Start with Windows"
LangString SecAuto ${LANG_FINNISH} "Käynnistä Windowsin mukana"
LangString SecAuto ${LANG_SWEDISH} "Starta med Windows"
LangString UrlDesc ${LANG_ENGLISH} "Calls a phone number with the Vaihde Softphone"
LangString UrlDesc ${LANG_FINNISH} "Soittaa numeroon Vaihde Softphonella"
LangString UrlDesc ${LANG_SWEDISH} "Ringer ett nummer med Vaihde Softphone"

; RegisterScheme writes HKCU\Software\Classes\<scheme> so that links open
; "$INSTDIR\Softphone.exe" "<url>", and lists the scheme in the Softphone's capabilities (Windows
; 10/11 "Default apps" offers it there when another program also handles the scheme).
!macro RegisterScheme SCHEME
	WriteRegStr HKCU "Software\Classes\${SCHEME}" "" "URL:${SCHEME}"
	WriteRegStr HKCU "Software\Classes\${SCHEME}" "URL Protocol" ""
	WriteRegStr HKCU "Software\Classes\${SCHEME}\DefaultIcon" "" "$INSTDIR\Softphone.exe,0"
	WriteRegStr HKCU "Software\Classes\${SCHEME}\shell\open\command" "" '"$INSTDIR\Softphone.exe" "%1"'
	WriteRegStr HKCU "${CAPKEY}\URLAssociations" "${SCHEME}" "${PROGID}"
!macroend

; UnregisterScheme removes the scheme's handler only if it still points at this install, so that
; uninstalling never takes tel: away from a program that took it over since.
!macro UnregisterScheme SCHEME
	ReadRegStr $0 HKCU "Software\Classes\${SCHEME}\shell\open\command" ""
	${If} $0 == '"$INSTDIR\Softphone.exe" "%1"'
		DeleteRegKey HKCU "Software\Classes\${SCHEME}"
	${EndIf}
!macroend

Section "!$(SecApp)" SecAppID
	SectionIn RO
	SetOutPath "$INSTDIR"
	File "/oname=Softphone.exe" "${EXE}"
	WriteUninstaller "$INSTDIR\Uninstall.exe"

	CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\Softphone.exe" "" "$INSTDIR\Softphone.exe" 0

	; Apps & features (per user).
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
	WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\Softphone.exe,0"
	WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "Vaihde"
	WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
	WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
	WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
	WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
	${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
	IntFmt $0 "0x%08X" $0
	WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"

	; Links: tel:, callto:, sip:, and the registered application behind them.
	WriteRegStr HKCU "Software\Classes\${PROGID}" "" "$(UrlDesc)"
	WriteRegStr HKCU "Software\Classes\${PROGID}" "URL Protocol" ""
	WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\Softphone.exe,0"
	WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\Softphone.exe" "%1"'
	WriteRegStr HKCU "${CAPKEY}" "ApplicationName" "${APPNAME}"
	WriteRegStr HKCU "${CAPKEY}" "ApplicationDescription" "$(UrlDesc)"
	!insertmacro RegisterScheme "tel"
	!insertmacro RegisterScheme "callto"
	!insertmacro RegisterScheme "sip"
	WriteRegStr HKCU "Software\RegisteredApplications" "${APPNAME}" "${CAPKEY}"
SectionEnd

Section "$(SecAuto)" SecAutoID
	WriteRegStr HKCU "${RUNKEY}" "${APPNAME}" '"$INSTDIR\Softphone.exe"'
SectionEnd

; (After the sections: it names them by their index defines.)
Function .onInit
	; /NOAUTOSTART on the command line (for silent installs) leaves out "Start with Windows".
	${GetParameters} $R0
	ClearErrors
	${GetOptions} $R0 "/NOAUTOSTART" $R1
	${IfNot} ${Errors}
		SectionSetFlags ${SecAutoID} 0
	${EndIf}
FunctionEnd

Section "Uninstall"
	!insertmacro UnregisterScheme "tel"
	!insertmacro UnregisterScheme "callto"
	!insertmacro UnregisterScheme "sip"
	DeleteRegKey HKCU "Software\Classes\${PROGID}"
	DeleteRegValue HKCU "Software\RegisteredApplications" "${APPNAME}"
	DeleteRegKey HKCU "Software\Vaihde\Softphone"
	DeleteRegKey /ifempty HKCU "Software\Vaihde"
	DeleteRegValue HKCU "${RUNKEY}" "${APPNAME}"
	DeleteRegKey HKCU "${UNINSTKEY}"

	Delete "$SMPROGRAMS\${APPNAME}.lnk"
	Delete "$INSTDIR\Softphone.exe"
	Delete "$INSTDIR\Uninstall.exe"
	; The folder only if empty: settings live in %APPDATA%\Vaihde and stay for a reinstall.
	RMDir "$INSTDIR"
SectionEnd
