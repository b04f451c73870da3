; Inno Setup script for Writer (Windows). Build the bundle first on Windows:
;   py -m PyInstaller --noconfirm packaging\writer.spec
; then compile this script with Inno Setup 6: iscc packaging\windows\writer.iss
#define AppVersion "0.1.0"

[Setup]
AppId={{6A0B8E1E-8C1B-4A4B-9B7E-2D2F7C1F5A11}
AppName=Writer
AppVersion={#AppVersion}
AppPublisher=Writer
DefaultDirName={autopf}\Writer
DefaultGroupName=Writer
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=Writer-{#AppVersion}-setup
SetupIconFile=..\..\resources\writer.ico
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "..\..\dist\Writer\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Writer"; Filename: "{app}\Writer.exe"
Name: "{group}\Uninstall Writer"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Writer"; Filename: "{app}\Writer.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\Writer.exe"; Description: "{cm:LaunchProgram,Writer}"; Flags: nowait postinstall skipifsilent
